package main

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Result is one benchmark line of `go test -bench`: the name without the
// GOMAXPROCS suffix, the iterations and every "value unit" pair, ns/op,
// B/op and allocs/op included.
type Result struct {
	Name    string
	N       int
	Metrics map[string]float64
}

// Parse reads go test output and returns its benchmark lines in order.
// Everything else (goos:, pkg:, PASS, logs) is skipped. A benchmark that
// writes to stdout while it runs splits its line in two, the name alone
// and then the figures, so a name-only line is held for the next line.
func Parse(r io.Reader) ([]Result, error) {
	var out []Result
	pending := ""
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if strings.HasPrefix(fields[0], "Benchmark") {
			pending = fields[0]
			fields = fields[1:]
		}
		if pending == "" || len(fields) == 0 {
			continue
		}
		res, ok, err := parseFigures(pending, fields)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, res)
			pending = ""
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read benchmark output: %w", err)
	}
	return out, nil
}

// parseFigures reads "N value unit value unit ...". ok is false when the
// fields are not figures at all (a log line between a name and its
// figures); a count followed by malformed pairs is an error.
func parseFigures(name string, fields []string) (Result, bool, error) {
	n, err := strconv.Atoi(fields[0])
	if err != nil || len(fields) < 3 {
		return Result{}, false, nil
	}
	pairs := fields[1:]
	if len(pairs)%2 != 0 {
		return Result{}, false, fmt.Errorf("%s: odd number of fields after the count: %q", name, strings.Join(pairs, " "))
	}
	res := Result{Name: trimProcs(name), N: n, Metrics: make(map[string]float64, len(pairs)/2)}
	for i := 0; i < len(pairs); i += 2 {
		v, err := strconv.ParseFloat(pairs[i], 64)
		if err != nil {
			return Result{}, false, fmt.Errorf("%s: value of %s: %w", name, pairs[i+1], err)
		}
		res.Metrics[pairs[i+1]] = v
	}
	return res, true, nil
}

// trimProcs drops the "-2" go test appends to a benchmark's name when
// GOMAXPROCS is not 1, so that rows match on any machine.
func trimProcs(name string) string {
	i := strings.LastIndexByte(name, '-')
	if i < 0 || i == len(name)-1 {
		return name
	}
	if _, err := strconv.Atoi(name[i+1:]); err != nil {
		return name
	}
	return name[:i]
}

// Find returns the last result named name: with -count > 1 the last run
// stands, as in the raw output's final lines.
func Find(results []Result, name string) (Result, bool) {
	for i := len(results) - 1; i >= 0; i-- {
		if results[i].Name == name {
			return results[i], true
		}
	}
	return Result{}, false
}
