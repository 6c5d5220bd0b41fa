package dynamo

import (
	"encoding/json"
	"fmt"
)

// Several packages store an object as the JSON the API shows (a "doc"
// attribute beside the keys), so that an answer, an event and a snapshot
// are the same bytes. These two functions are that encoding.

// MarshalDoc returns v as a row's doc. The stored types are plain structs
// of strings, numbers, times and decimals, which always marshal; a failure
// is a programming error.
func MarshalDoc(v any) string {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("dynamo: marshal %T: %v", v, err))
	}
	return string(raw)
}

// UnmarshalDoc decodes a row's doc; what names the row in the error.
func UnmarshalDoc[T any](doc, what string) (T, error) {
	var v T
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", what, err)
	}
	return v, nil
}
