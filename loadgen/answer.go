package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
)

// VisitIDs returns the ids of the visits in a check-in answer: its
// top-level "visits" array. Only that array is decoded; the rest of the
// answer is skipped with a byte scan, so that a run recording acknowledged
// visits spends little of the machine it shares with the server.
func VisitIDs(answer []byte) ([]string, error) {
	span, err := topLevelValue(answer, "visits")
	if err != nil {
		return nil, fmt.Errorf("check-in answer: %w", err)
	}
	var visits []struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(span, &visits); err != nil {
		return nil, fmt.Errorf("check-in answer: visits: %w", err)
	}
	ids := make([]string, len(visits))
	for i, v := range visits {
		if v.ID == "" {
			return nil, fmt.Errorf("check-in answer: visit %d has no id", i)
		}
		ids[i] = v.ID
	}
	return ids, nil
}

var errCutShort = errors.New("cut short")

// topLevelValue returns the bytes of the value under key in the JSON
// object doc, without checking the rest of doc.
func topLevelValue(doc []byte, key string) ([]byte, error) {
	i := skipSpace(doc, 0)
	if i == len(doc) || doc[i] != '{' {
		return nil, errors.New("not a JSON object")
	}
	depth := 0
	for ; i < len(doc); i++ {
		switch doc[i] {
		case '"':
			end := stringEnd(doc, i)
			if end < 0 {
				return nil, errCutShort
			}
			if colon := skipSpace(doc, end); depth == 1 && colon < len(doc) && doc[colon] == ':' && string(doc[i+1:end-1]) == key {
				start := skipSpace(doc, colon+1)
				stop := valueEnd(doc, start)
				if stop < 0 {
					return nil, errCutShort
				}
				return doc[start:stop], nil
			}
			i = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
		}
	}
	return nil, fmt.Errorf("no %q", key)
}

// stringEnd returns the index just past the string that starts at doc[i],
// or -1 if it does not end.
func stringEnd(doc []byte, i int) int {
	for j := i + 1; j < len(doc); j++ {
		switch doc[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index just past the value that starts at doc[i], or
// -1 if it does not end.
func valueEnd(doc []byte, i int) int {
	depth := 0
	for j := i; j < len(doc); j++ {
		switch doc[j] {
		case '"':
			end := stringEnd(doc, j)
			if end < 0 {
				return -1
			}
			if depth == 0 {
				return end
			}
			j = end - 1
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j
			}
			if depth--; depth == 0 {
				return j + 1
			}
		case ',':
			if depth == 0 {
				return j
			}
		}
	}
	return -1
}

func skipSpace(doc []byte, i int) int {
	for i < len(doc) && (doc[i] == ' ' || doc[i] == '\t' || doc[i] == '\n' || doc[i] == '\r') {
		i++
	}
	return i
}
