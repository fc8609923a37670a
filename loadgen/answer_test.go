package loadgen

import (
	"slices"
	"testing"
)

func TestVisitIDs(t *testing.T) {
	tests := []struct {
		name    string
		answer  string
		want    []string
		wantErr bool
	}{
		{"one visit", `{"premises":{"id":"prm_1","name":"Kedai \"visits\":["},"visits":[{"id":"v1","personId":"p1"}],"door":[]}`, []string{"v1"}, false},
		{"self and a dependant", `{"visits":[{"id":"v1"},{"personId":"p2","id":"v2"}],"door":[{"personId":"p1"}]}`, []string{"v1", "v2"}, false},
		{"visits after door", `{"door":[{"visits":[{"id":"x"}]}],"visits":[{"id":"v3"}]}`, []string{"v3"}, false},
		{"no visits", `{"premises":{}}`, nil, true},
		{"a visit without id", `{"visits":[{"personId":"p1"}]}`, nil, true},
		{"not an object", `[1,2]`, nil, true},
		{"cut short", `{"premises":{"id":"prm_1"},"visits":[{"id":"v1"`, nil, true},
		{"empty", ``, nil, true},
		{"spaces and a value named visits", " { \"a\" : \"visits\" , \"visits\" : [ {\"id\": \"v4\"} ] } ", []string{"v4"}, false},
		{"visits null", `{"visits":null,"door":[]}`, []string{}, false},
		{"visits not an array", `{"visits":"v1"}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VisitIDs([]byte(tt.answer))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
				t.Errorf("ids %q, want %q", got, tt.want)
			}
		})
	}
}

func FuzzVisitIDs(f *testing.F) {
	f.Add([]byte(`{"visits":[{"id":"v1"},{"id":"v2"}],"door":[]}`))
	f.Add([]byte(`{"premises":{"id":"p"},"visits":null}`))
	f.Fuzz(func(t *testing.T, answer []byte) {
		ids, err := VisitIDs(answer)
		if err == nil && slices.Contains(ids, "") {
			t.Fatalf("an empty id without an error from %q", answer)
		}
	})
}
