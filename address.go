package jaga

import (
	"strings"
	"unicode"
)

// addressWords folds the abbreviations common in Malaysian addresses to
// the word they stand for; a word mapped to "" is dropped ("No. 12" is
// "12").
var addressWords = map[string]string{
	"no": "", "lot": "lot",
	"jln": "jalan", "jl": "jalan",
	"lrg": "lorong", "lg": "lorong",
	"tmn": "taman",
	"kg":  "kampung", "kpg": "kampung",
	"bkt": "bukit",
	"sg":  "sungai", "sgi": "sungai",
	"bdr": "bandar",
	"psn": "persiaran", "psrn": "persiaran",
	"blk": "blok", "block": "blok",
	"apt": "apartment", "apartmen": "apartment",
	"kondo": "kondominium", "condo": "kondominium", "condominium": "kondominium",
	"pangsapuri": "pangsapuri", "ppr": "ppr",
	"tkt": "tingkat", "flr": "floor",
	"st": "street", "rd": "road", "ave": "avenue",
	"wp": "wilayah persekutuan",
}

// AddressKey returns the key under which two registered addresses are one
// household: lower case, every run of punctuation and spaces one space,
// and common abbreviations folded (jln → jalan, lrg → lorong, tmn →
// taman, "no." dropped). "No. 12, Jln. Mawar" and "12 JALAN MAWAR" have
// the same key. A blank address has the key "".
func AddressKey(address string) string {
	words := strings.FieldsFunc(strings.ToLower(address), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	out := words[:0]
	for _, w := range words {
		if f, ok := addressWords[w]; ok {
			if f == "" {
				continue
			}
			w = f
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}
