// Package strictjson decodes the JSON that autoenc reads from untrusted
// files' metadata: exactly one value, no unknown fields.
package strictjson

import (
	"encoding/json"
	"errors"
	"strings"
)

// Unmarshal decodes s into v, rejecting empty input, unknown fields and
// anything after the value.
func Unmarshal(s string, v any) error {
	if s == "" {
		return errors.New("missing")
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after JSON value")
	}
	return nil
}
