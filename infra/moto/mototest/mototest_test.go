package mototest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// childEnv is set in the environment of the test binary that
// TestEmulator_EndpointWithoutEmulator runs as its child.
const childEnv = "MOTOTEST_CHILD"

// TestChild_Endpoint is the child's test: it only asks for the emulator.
func TestChild_Endpoint(t *testing.T) {
	if os.Getenv(childEnv) != "1" {
		t.Skip("run as a child process by TestEmulator_EndpointWithoutEmulator")
	}
	e := New()
	defer func() { _ = e.Stop() }()
	t.Logf("emulator at %s", e.Endpoint(t))
}

// TestEmulator_EndpointWithoutEmulator runs this test binary again with
// TestChild_Endpoint alone, where no emulator can be had (no moto_server or
// python3 on PATH, no AWS_ENDPOINT_URL) or under -short: CI=true must fail
// the run with a clear message, never skip; without CI the test skips.
func TestEmulator_EndpointWithoutEmulator(t *testing.T) {
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	emptyPath := t.TempDir()
	tests := []struct {
		name     string
		env      []string
		args     []string
		wantFail bool
		want     string
	}{
		{"CI without emulator fails", []string{"CI=true", "PATH=" + emptyPath}, nil, true,
			"CI=true: integration tests must run against an AWS emulator, and none is available: moto_server is not installed"},
		{"CI with -short without emulator fails", []string{"CI=true", "PATH=" + emptyPath}, []string{"-test.short"}, true,
			"CI=true: integration tests must run against an AWS emulator"},
		{"no CI without emulator skips", []string{"PATH=" + emptyPath}, nil, false,
			"skipping integration test: moto_server is not installed"},
		// moto may well be installed here: -short skips before starting it.
		{"no CI with -short skips", []string{"PATH=" + os.Getenv("PATH")}, []string{"-test.short"}, false,
			"skipping integration test in -short mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-test.run=^TestChild_Endpoint$", "-test.v", "-test.count=1"}, tt.args...)
			cmd := exec.Command(bin, args...)
			cmd.Env = append(childBaseEnv(), append([]string{childEnv + "=1"}, tt.env...)...)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Fatalf("child failed = %v (%v), want %v:\n%s", failed, err, tt.wantFail, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("child output does not say %q:\n%s", tt.want, out)
			}
			if !tt.wantFail && !strings.Contains(string(out), "--- SKIP: TestChild_Endpoint") {
				t.Errorf("child did not skip:\n%s", out)
			}
		})
	}
}

// childBaseEnv is this process's environment less what decides the
// outcome: the emulator's address, CI and PATH.
func childBaseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "AWS_ENDPOINT_URL", "CI", "PATH", childEnv:
			continue
		}
		env = append(env, kv)
	}
	return env
}
