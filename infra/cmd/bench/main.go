// Command bench is `make bench`: it runs the module's benchmarks package
// by package, each with the benchtime it needs, streams their raw output to
// stderr and to a file so that nothing is hidden, and prints one table of
// what Mercato measures against the baseline each benchmark times in the
// same run. A row the output lacks is a failure, not a blank cell.
package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/mercato-dev/mercato/internal/app"
)

type options struct {
	goBin    string
	raw      string // where the raw output is written
	from     string // raw output of an earlier run to tabulate instead of running
	markdown bool
}

func main() {
	var o options
	flag.StringVar(&o.goBin, "go", "go", "the go command that runs the benchmarks")
	flag.StringVar(&o.raw, "raw", "bin/bench.txt", "file the raw benchmark output is written to")
	flag.StringVar(&o.from, "from", "", "tabulate this raw output (from -raw) instead of running the benchmarks")
	flag.BoolVar(&o.markdown, "markdown", false, "print the table as Markdown, for the README")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options, stdout, stderr io.Writer) error {
	raw, runErr := output(ctx, o, stderr)
	results, err := Parse(bytes.NewReader(raw))
	if err != nil {
		return errors.Join(runErr, err)
	}
	rows, err := Table(results, specs(app.Functions()))
	if err := errors.Join(runErr, err); err != nil {
		return fmt.Errorf("%w\n(raw output in %s)", err, rawPath(o))
	}
	h := Header{Machine: machine(ctx, o.goBin, raw), Load: load(raw), Command: "make bench", Commands: commands(o.goBin)}
	if o.markdown {
		return WriteMarkdown(stdout, h, rows)
	}
	return WriteText(stdout, h, rows)
}

func rawPath(o options) string {
	if o.from != "" {
		return o.from
	}
	return o.raw
}

// suite is one go test run: the benchtime suits what one iteration costs.
type suite struct {
	pkg, pattern, benchtime string
}

func suites() []suite {
	return []suite{
		// One go test run per API benchmark, so that each has an emulator
		// and a table of its own: the emulator slows down as its table
		// grows, so a benchmark run after another would be slowed by the
		// items the first one wrote. 3 s gives tens of orders; the cost of
		// a catalog read is the same every time.
		{"./internal/httpapi", "^BenchmarkAPI_Order$", "3s"},
		{"./internal/httpapi", "^BenchmarkAPI_Approve$", "3s"},
		{"./internal/httpapi", "^BenchmarkAPI_CatalogRead$", "10x"},
		{"./internal/webhook", "^BenchmarkDispatcher_VsBareHTTP$", ""},
		// One iteration is a whole file of 1M (or 100k) rows; three even
		// out the baseline reads, which a busy machine moves most.
		{"./internal/usage", "^BenchmarkPipeline_", "3x"},
		// One iteration is a median of 5 starts of a function and of hello-world.
		{"./infra/coldstart", "^BenchmarkColdStart$", "3x"},
		// One iteration is a whole run of the scale model (`make scale`).
		{"./infra/scale", "^BenchmarkScale_Model$", "1x"},
	}
}

func (s suite) args() []string {
	a := []string{"test", "-run", "^$", "-bench", s.pattern, "-benchmem", "-timeout", "30m"}
	if s.benchtime != "" {
		a = append(a, "-benchtime", s.benchtime)
	}
	return append(a, s.pkg)
}

// commands are the suites' go test runs as one would type them.
func commands(goBin string) []string {
	var out []string
	for _, s := range suites() {
		words := []string{goBin}
		for _, a := range s.args() {
			words = append(words, shellQuote(a))
		}
		out = append(out, strings.Join(words, " "))
	}
	return out
}

func shellQuote(s string) string {
	if strings.ContainsAny(s, "^$*?[]{}()|&;<> '\"\\") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// output returns the raw output to tabulate: the -from file, or that of
// every suite, run one after the other (they would only slow each other
// down on a small machine). A failing suite does not stop the others; its
// error is returned with all the output.
func output(ctx context.Context, o options, stderr io.Writer) ([]byte, error) {
	if o.from != "" {
		b, err := os.ReadFile(o.from)
		if err != nil {
			return nil, fmt.Errorf("read raw output: %w", err)
		}
		return b, nil
	}
	if err := os.MkdirAll(filepath.Dir(o.raw), 0o755); err != nil {
		return nil, fmt.Errorf("raw output: %w", err)
	}
	f, err := os.Create(o.raw)
	if err != nil {
		return nil, fmt.Errorf("raw output: %w", err)
	}
	defer f.Close()
	var all bytes.Buffer
	w := io.MultiWriter(stderr, f, &all)
	var errs []error
	cmds := commands(o.goBin)
	fmt.Fprintf(w, "%s: %s\n", loadBefore, loadAverage())
	for i, s := range suites() {
		fmt.Fprintf(w, "$ %s\n", cmds[i])
		cmd := exec.CommandContext(ctx, o.goBin, s.args()...)
		cmd.Stdout, cmd.Stderr = w, w
		if err := cmd.Run(); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.pkg, err))
		}
	}
	fmt.Fprintf(w, "%s: %s\n", loadAfter, loadAverage())
	if err := f.Close(); err != nil {
		errs = append(errs, fmt.Errorf("raw output: %w", err))
	}
	return all.Bytes(), errors.Join(errs...)
}

// The raw output records the machine's load before and after the run, so
// that a table made from it with -from says how busy the machine was.
const (
	loadBefore = "load average before"
	loadAfter  = "load average after"
)

// loadAverage is the 1-minute load average, "?" where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// load describes the machine's load from the raw output's records: on a
// shared machine it says how far the figures can be trusted.
func load(raw []byte) string {
	before, after := field(raw, loadBefore, ":"), field(raw, loadAfter, ":")
	if before == "" || after == "" {
		return ""
	}
	return fmt.Sprintf("1-minute average %s before the run, %s after", before, after)
}

// machine describes where the run happened: the CPU model, the cores, and
// the Go version and platform the benchmarks were built for.
func machine(ctx context.Context, goBin string, raw []byte) string {
	return fmt.Sprintf("%s, %d cores, %s", cpuModel(raw), runtime.NumCPU(), goEnv(ctx, goBin))
}

// cpuModel reads /proc/cpuinfo, or else the cpu: line go test printed.
func cpuModel(raw []byte) string {
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := field(b, "model name", ":"); m != "" {
			return m
		}
	}
	if m := field(raw, "cpu", ":"); m != "" {
		return m
	}
	return "unknown CPU"
}

// field returns the value of the first line "key<sep> value" of b.
func field(b []byte, key, sep string) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func goEnv(ctx context.Context, goBin string) string {
	out, err := exec.CommandContext(ctx, goBin, "env", "GOVERSION", "GOOS", "GOARCH").Output()
	if err != nil {
		return runtime.Version() + ", " + runtime.GOOS + "/" + runtime.GOARCH
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		return strings.TrimSpace(string(out))
	}
	return f[0] + ", " + f[1] + "/" + f[2]
}
