package stacktest_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mercato-dev/mercato/infra/stacktest"
)

// TestLayout_ReadmeNamesEveryPackage: the README's layout table is where a
// newcomer finds the home of an endpoint or an event, so its first column
// names every package of the module by its path.
func TestLayout_ReadmeNamesEveryPackage(t *testing.T) {
	root, err := stacktest.Root()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	named := layoutTable(string(readme))
	if len(named) == 0 {
		t.Fatal("README.md has no layout table (a table whose header is | path | what |)")
	}
	for _, p := range goList(t) {
		if path := strings.TrimPrefix(p.ImportPath, module); shipped(p) && !named[path] {
			t.Errorf("README.md's layout table does not name %s", path)
		}
	}
}

// layoutTable returns the paths in backquotes in the first column of the
// table whose header is | path | what |.
func layoutTable(readme string) map[string]bool {
	named := map[string]bool{}
	in := false
	for line := range strings.Lines(readme) {
		switch {
		case strings.HasPrefix(line, "| path | what |"):
			in = true
		case in && !strings.HasPrefix(line, "|"):
			return named
		case in:
			cells := strings.Split(line, "|")
			for i, part := range strings.Split(cells[1], "`") {
				if i%2 == 1 {
					named[strings.TrimSuffix(part, "/")] = true
				}
			}
		}
	}
	return named
}
