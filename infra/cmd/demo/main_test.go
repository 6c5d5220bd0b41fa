package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/infra/moto/mototest"
)

// TestDemo runs `make demo` end to end on a stack it starts, as CI does.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the platform")
	}
	if os.Getenv("AWS_ENDPOINT_URL") == "" {
		mototest.Startable(t)
	}
	bin := filepath.Join(t.TempDir(), "mercato-local")
	if out, err := exec.Command("go", "build", "-o", bin, "../local").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	tpl, err := filepath.Abs("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out bytes.Buffer
	err = run(ctx, options{envFile: filepath.Join(t.TempDir(), "none.env"), startBin: bin, template: tpl}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "demo passed: 8 steps") {
		t.Fatalf("no summary line")
	}
}
