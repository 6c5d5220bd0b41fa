// Package stackproc runs the local stack (`make run`'s binary) as a child
// process and waits for its ready line, for the demo and the tests that
// exercise the platform as a user runs it.
package stackproc

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"time"

	"github.com/mercato-dev/mercato/infra/localenv"
)

// Proc is a running local stack.
type Proc struct {
	Cmd     *exec.Cmd
	APIURL  string
	EnvFile string
	Vars    map[string]string
	// Ready is how long the stack took to print its ready line.
	Ready time.Duration
}

var readyLine = regexp.MustCompile(`^mercato ready in ([0-9.]+)s: API (http://\S+) `)

// Start runs bin (the mercato-local binary) on a free port with its env file
// in dir, and returns once it is ready or timeout passes.
func Start(ctx context.Context, bin, template, dir string, timeout time.Duration, extra ...string) (*Proc, error) {
	p := &Proc{EnvFile: filepath.Join(dir, "local.env")}
	args := append([]string{"-addr", "127.0.0.1:0", "-template", template, "-env-file", p.EnvFile, "-log-level", "warn"}, extra...)
	p.Cmd = exec.Command(bin, args...)
	stdout, err := p.Cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "stack.log"))
	if err != nil {
		return nil, err
	}
	p.Cmd.Stderr = logFile
	began := time.Now()
	if err := p.Cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if p.APIURL, err = waitReady(ctx, stdout, timeout); err != nil {
		p.Stop()
		return nil, fmt.Errorf("%w (log: %s)", err, logFile.Name())
	}
	p.Ready = time.Since(began)
	if p.Vars, err = localenv.Read(p.EnvFile); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

func waitReady(ctx context.Context, stdout io.Reader, timeout time.Duration) (string, error) {
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(timeout)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return "", fmt.Errorf("the stack exited before it was ready")
			}
			if m := readyLine.FindStringSubmatch(line); m != nil {
				go func() {
					for range lines {
					}
				}()
				return m[2], nil
			}
		case <-deadline:
			return "", fmt.Errorf("the stack was not ready within %s", timeout)
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// Stop interrupts the stack, as Ctrl-C does, and waits for it to exit.
func (p *Proc) Stop() error {
	if p.Cmd.Process == nil {
		return nil
	}
	_ = p.Cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- p.Cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(15 * time.Second):
		_ = p.Cmd.Process.Kill()
		return fmt.Errorf("the stack did not stop within 15 s of an interrupt")
	}
}
