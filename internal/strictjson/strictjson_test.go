package strictjson

import "testing"

func TestUnmarshal(t *testing.T) {
	type config struct{ A int }
	var c config
	if err := Unmarshal(`{"A": 3}`, &c); err != nil || c.A != 3 {
		t.Fatalf("valid input: %v, %+v", err, c)
	}
	for _, bad := range []string{"", `{"A": 3, "B": 1}`, `{"A": 3} {"A": 4}`, `{"A": "x"}`, `{"A":`} {
		if err := Unmarshal(bad, &c); err == nil {
			t.Errorf("Unmarshal(%q) succeeded, want an error", bad)
		}
	}
}
