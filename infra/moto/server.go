package moto

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNotInstalled reports that neither moto_server nor python3's moto.server
// module can be run on this machine.
var ErrNotInstalled = errors.New("moto_server is not installed (install it with: pip install 'moto[server]')")

const (
	defaultStartTimeout = 30 * time.Second
	stopGrace           = 3 * time.Second
	pollInterval        = 50 * time.Millisecond
)

// Options configures Start. The zero value is usable.
type Options struct {
	// Port to listen on at 127.0.0.1; 0 picks a free one.
	Port int
	// LogWriter receives the emulator's stdout and stderr; nil discards them.
	LogWriter io.Writer
	// StartTimeout bounds how long Start waits for the emulator to answer
	// HTTP; 0 means 30 s.
	StartTimeout time.Duration
	// Env is added to this process's environment for the emulator: moto
	// reads its settings from it (S3_UPLOAD_PART_MIN_SIZE, ...).
	Env []string
}

// Server is a running moto_server process.
type Server struct {
	cmd      *exec.Cmd
	endpoint string
	exited   chan struct{} // closed once cmd.Wait returned
	waitErr  error         // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start runs moto_server on 127.0.0.1 and returns once it answers HTTP.
// When moto cannot be found the error wraps ErrNotInstalled.
func Start(ctx context.Context, opts Options) (*Server, error) {
	cmds, err := commands()
	if err != nil {
		return nil, err
	}
	for i, argv := range cmds {
		s, err := start(ctx, opts, argv)
		if err == nil || !errors.Is(err, ErrNotInstalled) || i == len(cmds)-1 {
			return s, err
		}
	}
	return nil, ErrNotInstalled
}

func start(ctx context.Context, opts Options, argv []string) (*Server, error) {
	var err error
	port := opts.Port
	if port == 0 {
		if port, err = freePort(); err != nil {
			return nil, err
		}
	}
	argv = append(argv, "-H", "127.0.0.1", "-p", strconv.Itoa(port))

	// The tail of the output goes into the error when moto dies on start, so
	// that "No module named moto" is visible without a LogWriter.
	tail := &tailBuffer{max: 4096}
	out := io.Writer(tail)
	if opts.LogWriter != nil {
		out = io.MultiWriter(opts.LogWriter, tail)
	}

	// Not exec.CommandContext: the server outlives the ctx of Start and is
	// ended by Stop, which kills the whole process group.
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = out
	cmd.Stderr = out
	if len(opts.Env) > 0 {
		cmd.Env = append(os.Environ(), opts.Env...)
	}
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", strings.Join(argv, " "), err)
	}

	s := &Server{cmd: cmd, endpoint: "http://127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()

	timeout := opts.StartTimeout
	if timeout <= 0 {
		timeout = defaultStartTimeout
	}
	if err := s.waitReady(ctx, timeout); err != nil {
		_ = s.Stop()
		return nil, s.startError(err, tail.String())
	}
	return s, nil
}

//go:embed serialize.py
var serializeShim string

// commands lists the ways to run moto, best first: python3 with the shim
// that serialises moto's DynamoDB handlers (see serialize.py), then the
// plain moto_server script when python3 cannot import moto.
func commands() ([][]string, error) {
	var out [][]string
	if path, err := exec.LookPath("python3"); err == nil {
		out = append(out, []string{path, "-c", serializeShim})
	}
	if path, err := exec.LookPath("moto_server"); err == nil {
		out = append(out, []string{path})
	}
	if len(out) == 0 {
		return nil, ErrNotInstalled
	}
	return out, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls the emulator until it answers any HTTP response, the
// process exits, or the deadline passes.
func (s *Server) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.endpoint+"/moto-api/", nil)
		if err != nil {
			return fmt.Errorf("build readiness request: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("moto_server exited before answering: %v", s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("moto_server did not answer at %s within %s: %w", s.endpoint, timeout, ctx.Err())
		case <-tick.C:
		}
	}
}

// startError marks a start failure as ErrNotInstalled when the output says
// the program or module is missing, and carries the output tail.
func (s *Server) startError(err error, output string) error {
	missing := strings.Contains(output, "No module named") ||
		strings.Contains(output, "command not found") ||
		strings.Contains(output, "not installed")
	var exitErr *exec.ExitError
	if errors.As(s.waitErr, &exitErr) && exitErr.ExitCode() == 127 {
		missing = true
	}
	output = strings.TrimSpace(output)
	if missing {
		return fmt.Errorf("%w: %s", ErrNotInstalled, output)
	}
	if output != "" {
		return fmt.Errorf("%w; output: %s", err, output)
	}
	return err
}

// Endpoint is the emulator's base URL, e.g. http://127.0.0.1:5123.
func (s *Server) Endpoint() string { return s.endpoint }

// Pid is the emulator's process id, which is also its process group id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// Stop ends the emulator's whole process group, SIGTERM first and SIGKILL
// after a short grace, and reaps it. Calling it again returns the first
// result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() { s.stopErr = s.stop() })
	return s.stopErr
}

func (s *Server) stop() error {
	pgid := s.cmd.Process.Pid
	if err := syscall.Kill(-pgid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("terminate moto_server (pgid %d): %w", pgid, err)
	}
	select {
	case <-s.exited:
	case <-time.After(stopGrace):
		if err := syscall.Kill(-pgid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("kill moto_server (pgid %d): %w", pgid, err)
		}
		<-s.exited
	}
	// Children that ignored SIGTERM while the leader exited still share the
	// group; make sure nothing of it survives.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return nil
}

// Reset wipes all emulated resources of the emulator at endpoint.
func Reset(ctx context.Context, endpoint string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(endpoint, "/")+"/moto-api/reset", nil)
	if err != nil {
		return fmt.Errorf("build reset request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("reset moto at %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("reset moto at %s: %s: %s", endpoint, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = b.buf[over:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
