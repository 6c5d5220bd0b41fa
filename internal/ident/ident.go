// Package ident generates the Connect-style identifiers (PRD-123-456-789,
// VA-123-456, PR-1234-5678-9012-001) and the random secrets of the platform
// from crypto/rand.
package ident

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"math/big"
	"strings"
)

// Digits returns prefix followed by dash-separated groups of random decimal
// digits, for example Digits("PRD", 3, 3, 3) = "PRD-123-456-789".
func Digits(prefix string, groups ...int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, n := range groups {
		b.WriteByte('-')
		for range n {
			d, err := rand.Int(rand.Reader, big.NewInt(10))
			if err != nil {
				// crypto/rand never fails on Linux; a failure means the
				// platform cannot make safe ids at all.
				panic(fmt.Sprintf("ident: crypto/rand: %v", err))
			}
			b.WriteByte(byte('0' + d.Int64()))
		}
	}
	return b.String()
}

// Secret returns n random bytes encoded as unpadded base64url.
func Secret(n int) string {
	return base64.RawURLEncoding.EncodeToString(Bytes(n))
}

// Bytes returns n random bytes.
func Bytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("ident: crypto/rand: %v", err))
	}
	return b
}

// UUID returns a random (version 4) UUID string, used where Partner Center
// expects GUIDs.
func UUID() string {
	b := Bytes(16)
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
