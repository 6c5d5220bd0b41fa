package catalog

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
)

// Connect nests as an object ({"id": "users", "name": …}) what Mercato
// keeps as a code ("users"): an item's unit, a marketplace's countries.
// Mercato stores and marshals the code; these decoders accept both forms,
// so that Connect clients' bodies and Connect-shaped answers decode into
// the same types.

// codeOf reads a code from "x", {"id": "x"} or, for a reference whose id
// Connect keeps read-only (a category), {"name": "x"}; null and absent
// are "".
func codeOf(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", nil
	}
	if raw[0] == '{' {
		var ref struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &ref); err != nil {
			return "", err
		}
		return cmp.Or(ref.ID, ref.Name), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", fmt.Errorf("must be a string or an object with an id")
	}
	return s, nil
}

// Codes is a list of codes that decodes from ["US"] or [{"id": "US"}].
type Codes []string

// UnmarshalJSON accepts both forms.
func (c *Codes) UnmarshalJSON(b []byte) error {
	var raws []json.RawMessage
	if err := json.Unmarshal(b, &raws); err != nil {
		return err
	}
	out := make(Codes, 0, len(raws))
	for i, raw := range raws {
		code, err := codeOf(raw)
		if err != nil {
			return fmt.Errorf("element %d %w", i, err)
		}
		out = append(out, code)
	}
	*c = out
	return nil
}

// Code is a code that decodes from "users" or {"id": "users", …} (an
// item's unit, a product's category).
type Code string

// UnmarshalJSON accepts both forms.
func (c *Code) UnmarshalJSON(b []byte) error {
	s, err := codeOf(b)
	*c = Code(s)
	return err
}
