package stacktest_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mercato-dev/mercato/infra/stacktest"
)

const module = "github.com/mercato-dev/mercato/"

// listed is what `go list -json` says of a package.
type listed struct {
	ImportPath string
	ForTest    string
	Imports    []string
	Deps       []string
}

var listOnce = sync.OnceValues(listModule)

// goList lists every package of the module and of its tests with their
// dependencies, once per test binary.
func goList(t *testing.T) []listed {
	t.Helper()
	pkgs, err := listOnce()
	if err != nil {
		t.Fatal(err)
	}
	return pkgs
}

func listModule() ([]listed, error) {
	root, err := stacktest.Root()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("go", "list", "-deps", "-test", "-json", "./...")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list: %w\n%s", err, stderr.Bytes())
	}
	var pkgs []listed
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs, nil
		} else if err != nil {
			return nil, fmt.Errorf("decode go list: %w", err)
		}
		if strings.HasPrefix(p.ImportPath, module) {
			pkgs = append(pkgs, p)
		}
	}
}

// shipped reports whether p is a package as the functions build it, not a
// test binary, an external test package or a package recompiled for one.
func shipped(p listed) bool {
	return p.ForTest == "" && !strings.HasSuffix(p.ImportPath, ".test") && !strings.HasSuffix(p.ImportPath, "_test")
}

// TestLayout_InternalNeverImportsInfra: internal/ holds what the Lambdas
// run and infra/ the local runtime, the emulator and the test harness
// around them, so no package under internal/ may depend on infra/, directly
// or through another package. Test files under internal/ are the one
// exception, and only through infra/stacktest's harness: an integration
// test needs the emulator, the deployed template and the local runtime,
// which are infra by design.
func TestLayout_InternalNeverImportsInfra(t *testing.T) {
	for _, p := range goList(t) {
		if !shipped(p) || !strings.HasPrefix(p.ImportPath, module+"internal/") {
			continue
		}
		for _, d := range p.Deps {
			if strings.HasPrefix(d, module+"infra/") {
				t.Errorf("%s depends on %s: internal/ never imports infra/", strings.TrimPrefix(p.ImportPath, module), strings.TrimPrefix(d, module))
			}
		}
	}
}

// folder is the unit of the layout that a package belongs to:
// internal/usage for internal/usage and anything under it.
func folder(path string) string {
	parts := strings.SplitN(strings.TrimPrefix(path, module), "/", 3)
	return strings.Join(parts[:min(2, len(parts))], "/")
}

// TestLayout_NoCycleBetweenFolders: packages may not import each other's
// folders both ways (usage → billing/timeline while billing → usage was
// such a cycle), whatever package in the folder carries the import.
func TestLayout_NoCycleBetweenFolders(t *testing.T) {
	edges := map[string][]string{}
	for _, p := range goList(t) {
		if !shipped(p) {
			continue
		}
		from := folder(p.ImportPath)
		for _, imp := range p.Imports {
			if to := folder(imp); strings.HasPrefix(imp, module) && to != from && !slices.Contains(edges[from], to) {
				edges[from] = append(edges[from], to)
			}
		}
	}
	if c := cycle(edges); c != nil {
		t.Errorf("the folders import each other: %s", strings.Join(c, " → "))
	}
}

// cycle returns a cycle of the graph, nil when it has none.
func cycle(edges map[string][]string) []string {
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var path []string
	var visit func(n string) []string
	visit = func(n string) []string {
		state[n] = open
		path = append(path, n)
		for _, m := range edges[n] {
			switch state[m] {
			case open:
				return append(slices.Clone(path[slices.Index(path, m):]), m)
			case unseen:
				if c := visit(m); c != nil {
					return c
				}
			}
		}
		state[n] = done
		path = path[:len(path)-1]
		return nil
	}
	nodes := make([]string, 0, len(edges))
	for n := range edges {
		nodes = append(nodes, n)
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		if state[n] == unseen {
			if c := visit(n); c != nil {
				return c
			}
		}
	}
	return nil
}

func TestCycle(t *testing.T) {
	tests := []struct {
		name  string
		edges map[string][]string
		want  []string
	}{
		{"none", map[string][]string{"a": {"b"}, "b": {"c"}, "c": nil}, nil},
		{"two folders", map[string][]string{"a": {"b"}, "b": {"a"}}, []string{"a", "b", "a"}},
		{"through a third", map[string][]string{"a": {"b"}, "b": {"c"}, "c": {"b"}}, []string{"b", "c", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cycle(tt.edges); !slices.Equal(got, tt.want) {
				t.Errorf("cycle = %v, want %v", got, tt.want)
			}
		})
	}
}
