// Package localenv reads and writes .mercato/local.env, the file `make run`
// leaves for users (`source .mercato/local.env`) and for `make invoke`,
// which runs a function against the same stack.
package localenv

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultPath is where `make run` writes the file, relative to the repo.
const DefaultPath = ".mercato/local.env"

// Write stores vars as `export KEY='value'` lines, readable by the owner
// only because it holds API tokens.
func Write(path string, vars map[string]string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("localenv: %w", err)
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# Written by `make run`. Source it: . .mercato/local.env\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "export %s='%s'\n", k, strings.ReplaceAll(vars[k], "'", `'\''`))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("localenv: %w", err)
	}
	return os.Rename(tmp, path)
}

// Read parses a file written by Write.
func Read(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("localenv: %w (is `make run` running?)", err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			continue
		}
		v = strings.TrimSuffix(strings.TrimPrefix(v, "'"), "'")
		vars[k] = strings.ReplaceAll(v, `'\''`, "'")
	}
	return vars, sc.Err()
}
