package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/fault"
	"github.com/mercato-dev/mercato/internal/ident"
)

func TestMain(m *testing.M) { stacktest.Main(m) }

// admin runs one command and decodes what it printed into out.
func admin(t *testing.T, a *app.App, stdin string, out any, args ...string) error {
	t.Helper()
	var buf bytes.Buffer
	err := run(context.Background(), a, noEnv, args, strings.NewReader(stdin), &buf)
	if err == nil && out != nil {
		if jerr := json.Unmarshal(buf.Bytes(), out); jerr != nil {
			t.Fatalf("%v printed %q: %v", args, buf.String(), jerr)
		}
	}
	return err
}

func authenticates(t *testing.T, a *app.App, value string) bool {
	t.Helper()
	_, err := a.Accounts.Authenticate(context.Background(), "ApiKey "+value)
	if err != nil && !fault.Is(err, fault.Unauthorized) {
		t.Fatal(err)
	}
	return err == nil
}

// TestAdmin_Tokens walks the runbook: a leaked token is revoked by its
// value alone, the account's other token still works; disabling the
// account revokes the rest; a new token enables it again.
func TestAdmin_Tokens(t *testing.T) {
	a := stacktest.Shared(t).App(t, app.Options{})
	ctx := context.Background()
	acct, err := a.Accounts.Ensure(ctx, "admin-"+ident.Secret(6), account.CreateAccountInput{Type: account.Vendor, Name: "Leaky Inc."})
	if err != nil {
		t.Fatal(err)
	}
	leaked := acct.Token.Value
	var second account.NewToken
	if err := admin(t, a, "", &second, "issue-token", "-account", acct.ID, "-name", "ci"); err != nil {
		t.Fatal(err)
	}

	var revoked account.Token
	if err := admin(t, a, leaked+"\n", &revoked, "revoke-token"); err != nil {
		t.Fatal(err)
	}
	if revoked.AccountID != acct.ID || revoked.ID != acct.Token.ID {
		t.Errorf("revoked %+v, want token %s of %s", revoked, acct.Token.ID, acct.ID)
	}
	if authenticates(t, a, leaked) || !authenticates(t, a, second.Value) {
		t.Fatal("after revoke-token: want the leaked token refused and the other one accepted")
	}
	if err := admin(t, a, leaked, nil, "revoke-token"); err == nil {
		t.Error("revoking the same value twice succeeded")
	}

	var all []account.Token
	if err := admin(t, a, "", &all, "disable-account", "-account", acct.ID); err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || authenticates(t, a, second.Value) {
		t.Fatalf("disable-account revoked %d tokens and the last one still authenticates: %v", len(all), authenticates(t, a, second.Value))
	}
	var again account.NewToken
	if err := admin(t, a, "", &again, "issue-token", "-account", acct.ID); err != nil {
		t.Fatal(err)
	}
	if !authenticates(t, a, again.Value) {
		t.Error("the re-issued token does not authenticate")
	}
}

func TestAdmin_Usage(t *testing.T) {
	a := stacktest.Shared(t).App(t, app.Options{})
	for _, args := range [][]string{nil, {"nope"}, {"disable-account"}, {"issue-token"}, {"disable-account", "-account", "VA-0000-0000"}} {
		if err := admin(t, a, "", nil, args...); err == nil {
			t.Errorf("admin %v succeeded", args)
		}
	}
	if err := admin(t, a, "\n", nil, "revoke-token"); err == nil {
		t.Error("revoke-token with nothing on stdin succeeded")
	}
}

// noEnv is an empty environment: the tests pass every resource as a flag.
func noEnv(string) string { return "" }

// TestAdmin_StackEnv reads the deployed stack's outputs as the functions'
// environment, which is how -stack configures a command.
func TestAdmin_StackEnv(t *testing.T) {
	e := stacktest.Shared(t)
	vars, err := stackEnv(context.Background(), cloudformation.NewFromConfig(e.AWS), e.Stack.Name)
	if err != nil {
		t.Fatal(err)
	}
	failures, err := e.Stack.QueueURL(context.Background(), "RelayFailureQueue")
	if err != nil {
		t.Fatal(err)
	}
	// The emulator reports queue URLs on AWS's host, so queues compare by
	// name.
	for k, want := range map[string]string{"TABLE_NAME": e.Config.TableName, "BILLING_QUEUE_URL": e.Config.BillingQueue, "RELAY_FAILURE_QUEUE_URL": failures} {
		if path.Base(vars[k]) != path.Base(want) {
			t.Errorf("%s = %q from the stack's outputs, want %q", k, vars[k], want)
		}
	}
	if _, err := stackEnv(context.Background(), cloudformation.NewFromConfig(e.AWS), "no-such-stack"); err == nil {
		t.Error("stackEnv of a missing stack succeeded")
	}
}
