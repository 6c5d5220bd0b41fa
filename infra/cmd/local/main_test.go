package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mercato-dev/mercato/infra/moto/mototest"
	"github.com/mercato-dev/mercato/infra/stackproc"
)

// These tests run the real `make run` binary as a user would and check the
// acceptance of the foundation: ready in under 60 s, the printed vendor token
// names the demo vendor, a wrong token is 401, /healthz needs no token, and
// stopping it, gently or not, leaves no process behind.

func requireMoto(t *testing.T) {
	t.Helper()
	if testing.Short() && os.Getenv("CI") != "true" {
		t.Skip("starts the platform")
	}
	// The test checks the moto_server that make run starts and stops itself,
	// so it runs make run without the emulator AWS_ENDPOINT_URL names.
	if ep := os.Getenv("AWS_ENDPOINT_URL"); ep != "" {
		t.Logf("AWS_ENDPOINT_URL=%s is set; make run here starts its own moto_server instead", ep)
		t.Setenv("AWS_ENDPOINT_URL", "")
		os.Unsetenv("AWS_ENDPOINT_URL")
	}
	mototest.Startable(t)
}

func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mercato-local")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type running struct {
	cmd     *exec.Cmd
	apiURL  string
	envFile string
	vars    map[string]string
	motoPID int
}

func start(t *testing.T, bin string) *running {
	t.Helper()
	tpl, err := filepath.Abs("../../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := stackproc.Start(context.Background(), bin, tpl, t.TempDir(), 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Cmd.Process.Kill(); _ = p.Cmd.Wait() })
	t.Logf("ready after %s at %s", p.Ready.Round(time.Millisecond), p.APIURL)
	r := &running{cmd: p.Cmd, apiURL: p.APIURL, envFile: p.EnvFile, vars: p.Vars}
	r.motoPID = motoPID(t, r.vars["AWS_ENDPOINT_URL"])
	return r
}

// motoPID finds the moto_server listening on endpoint's port.
func motoPID(t *testing.T, endpoint string) int {
	t.Helper()
	port := endpoint[strings.LastIndex(endpoint, ":")+1:]
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		raw, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(raw), "\x00")
		if strings.Contains(string(raw), "moto") && containsSeq(args, "-p", port) {
			var pid int
			fmt.Sscanf(filepath.Base(filepath.Dir(p)), "%d", &pid)
			return pid
		}
	}
	t.Fatalf("no moto_server process on port %s", port)
	return 0
}

func containsSeq(args []string, a, b string) bool {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == a && args[i+1] == b {
			return true
		}
	}
	return false
}

func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	// A zombie waiting to be reaped is not running.
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err == nil && !strings.Contains(string(raw), ") Z ")
}

func gone(t *testing.T, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for alive(pid) {
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still running", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "ApiKey "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

func TestRun_ServesAndStopsCleanly(t *testing.T) {
	requireMoto(t)
	bin := build(t)
	r := start(t, bin)

	for _, k := range []string{"MERCATO_API_URL", "MERCATO_ADMIN_TOKEN", "MERCATO_VENDOR_TOKEN", "MERCATO_PROVIDER_TOKEN", "MERCATO_MARKETPLACE_ID", "RELAY_FAILURE_QUEUE_URL"} {
		if r.vars[k] == "" {
			t.Errorf("%s missing from %s", k, r.envFile)
		}
	}
	status, body := get(t, r.apiURL+"/public/v1/auth/context", r.vars["MERCATO_VENDOR_TOKEN"])
	acct, _ := body["account"].(map[string]any)
	if status != 200 || acct["name"] != "Front Street Inc." || acct["type"] != "vendor" {
		t.Errorf("auth/context = %d %v", status, body)
	}
	if status, _ := get(t, r.apiURL+"/public/v1/auth/context", "SU-000-000-000:wrong"); status != 401 {
		t.Errorf("wrong token = %d", status)
	}
	if status, _ := get(t, r.apiURL+"/healthz", ""); status != 200 {
		t.Errorf("healthz = %d", status)
	}
	status, body = get(t, r.apiURL+"/public/v1/marketplaces/"+r.vars["MERCATO_MARKETPLACE_ID"], r.vars["MERCATO_PROVIDER_TOKEN"])
	if status != 200 || body["currency"] != "USD" {
		t.Errorf("demo marketplace = %d %v", status, body)
	}

	// make invoke runs every sample against this stack.
	invoke(t, r.envFile)

	// Ctrl-C: a clean exit, and the emulator it started is gone.
	if err := r.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after Ctrl-C: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("make run did not stop within 15 s of Ctrl-C")
	}
	gone(t, r.motoPID, 5*time.Second)

	// A second run works, and a hard kill still takes the emulator down.
	r2 := start(t, bin)
	if status, _ := get(t, r2.apiURL+"/public/v1/auth/context", r2.vars["MERCATO_VENDOR_TOKEN"]); status != 200 {
		t.Errorf("second run: auth/context = %d", status)
	}
	if err := r2.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = r2.cmd.Wait()
	gone(t, r2.motoPID, 5*time.Second)
}

// invoke runs `make invoke`'s command on every sample in events/.
func invoke(t *testing.T, envFile string) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "invoke")
	if out, err := exec.Command("go", "build", "-o", bin, "../invoke").CombinedOutput(); err != nil {
		t.Fatalf("go build invoke: %v\n%s", err, out)
	}
	samples, err := filepath.Glob("../../../events/*.json")
	if err != nil || len(samples) == 0 {
		t.Fatalf("no samples: %v", err)
	}
	for _, sample := range samples {
		fn, _, _ := strings.Cut(strings.TrimSuffix(filepath.Base(sample), ".json"), "-")
		out, err := exec.Command(bin, "-fn", fn, "-event", sample, "-env-file", envFile).CombinedOutput()
		if err != nil {
			t.Errorf("make invoke FN=%s EVENT=%s: %v\n%s", fn, sample, err, out)
			continue
		}
		if strings.Contains(string(out), `"itemIdentifier"`) {
			t.Errorf("make invoke FN=%s EVENT=%s reported failed items:\n%s", fn, sample, out)
		}
	}
}
