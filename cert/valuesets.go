package cert

import (
	"embed"
	"encoding/json"
	"fmt"
)

// The value sets that jaga embeds, by file name in valuesets/.
const (
	vsDisease      = "disease-agent-targeted"
	vsProphylaxis  = "vaccine-prophylaxis"
	vsProduct      = "vaccine-medicinal-product"
	vsManufacturer = "vaccine-mah-manf"
	vsCountry      = "country-2-codes"
)

//go:embed valuesets/*.json
var valueSetFiles embed.FS

// valueSet is one embedded value set: code to display name.
type valueSet struct {
	ID     string            `json:"valueSetId"`
	Date   string            `json:"valueSetDate"`
	Source string            `json:"source"`
	Values map[string]string `json:"values"`
}

// valueSets holds the embedded value sets by name.
type valueSets map[string]*valueSet

// defaultValueSets is read once from the embedded files; they are part of
// the program, so a bad file is a build fault and panics at start-up.
var defaultValueSets = func() valueSets {
	vs := valueSets{}
	for _, name := range []string{vsDisease, vsProphylaxis, vsProduct, vsManufacturer, vsCountry} {
		b, err := valueSetFiles.ReadFile("valuesets/" + name + ".json")
		if err != nil {
			panic(fmt.Errorf("value set %s: %w", name, err))
		}
		var s valueSet
		if err := json.Unmarshal(b, &s); err != nil {
			panic(fmt.Errorf("value set %s: %w", name, err))
		}
		vs[name] = &s
	}
	return vs
}()

// has reports whether code is in the value set name.
func (vs valueSets) has(name, code string) bool {
	_, ok := vs[name].Values[code]
	return ok
}

// display returns the display name of code in the value set name, or "".
func (vs valueSets) display(name, code string) string {
	return vs[name].Values[code]
}

// ValueSetDisplay returns the display name of code in the embedded EU DCC
// value set named set ("disease-agent-targeted", "vaccine-prophylaxis",
// "vaccine-medicinal-product", "vaccine-mah-manf" or "country-2-codes"),
// and whether the code is in it.
func ValueSetDisplay(set, code string) (string, bool) {
	s, ok := defaultValueSets[set]
	if !ok {
		return "", false
	}
	d, ok := s.Values[code]
	return d, ok
}
