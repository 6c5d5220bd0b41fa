// Command sdkrun is `make sdk`: it starts a local stack of its own (the
// mercato-local binary on a free port), installs the pinned npm packages of
// infra/conformance/js with `npm ci`, and runs that folder's script, which
// drives the stack with CloudBlue Connect's JavaScript SDK and verifies the
// webhook deliveries with the standardwebhooks library. It exits non-zero
// when the script does.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/mercato-dev/mercato/infra/stackproc"
)

func main() {
	bin := flag.String("start", "bin/mercato-local", "path of the mercato-local binary")
	template := flag.String("template", "template.yaml", "the template the stack deploys")
	dir := flag.String("dir", "infra/conformance/js", "the npm project of the run")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *template, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "sdk run:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, template, dir string) error {
	if err := command(ctx, dir, nil, "npm", "ci", "--no-audit", "--no-fund"); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "mercato-sdk-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	p, err := stackproc.Start(ctx, bin, template, tmp, 90*time.Second)
	if err != nil {
		return err
	}
	defer func() { _ = p.Stop() }()
	fmt.Printf("stack ready at %s in %s\n", p.APIURL, p.Ready.Round(time.Millisecond))
	env := os.Environ()
	for k, v := range p.Vars {
		env = append(env, k+"="+v)
	}
	return command(ctx, dir, env, "node", "run.mjs")
}

func command(ctx context.Context, dir string, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %v: %w", name, args, err)
	}
	return nil
}
