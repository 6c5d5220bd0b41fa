package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/mercato-dev/mercato/infra/stacktest"
	"github.com/mercato-dev/mercato/internal/account"
	"github.com/mercato-dev/mercato/internal/app"
	"github.com/mercato-dev/mercato/internal/ident"
)

// TestRunbook_RestoreFromPITR runs the runbook's restore calls on the
// emulator: the table's recovery window is read, a restore
// makes a new table with the data, and the platform configured with the
// new table's name serves it (what the switch gives the functions). The
// CloudFormation import of the switch itself is AWS-only.
func TestRunbook_RestoreFromPITR(t *testing.T) {
	e := stacktest.Shared(t)
	a := e.App(t, app.Options{})
	ctx := context.Background()
	ddb := dynamodb.NewFromConfig(e.AWS)
	// moto's CloudFormation ignores the table's PointInTimeRecoverySpecification
	// (the translated template's is checked in infra/stack), so it is
	// turned on here as the template does in AWS.
	if _, err := ddb.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: aws.String(e.Config.TableName),
		PointInTimeRecoverySpecification: &dynamotypes.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	backups, err := ddb.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(e.Config.TableName)})
	if err != nil {
		t.Fatal(err)
	}
	pitr := backups.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if pitr == nil || pitr.PointInTimeRecoveryStatus != dynamotypes.PointInTimeRecoveryStatusEnabled {
		t.Fatalf("the stack's table has point-in-time recovery %+v, want ENABLED", pitr)
	}
	acct, err := a.Accounts.Ensure(ctx, "restore-"+ident.Secret(6), account.CreateAccountInput{Type: account.Provider, Name: "Restored Ltd."})
	if err != nil {
		t.Fatal(err)
	}

	restored := e.Config.TableName + "-restored-" + time.Now().UTC().Format("200601021504")
	if _, err := ddb.RestoreTableToPointInTime(ctx, &dynamodb.RestoreTableToPointInTimeInput{
		SourceTableName: aws.String(e.Config.TableName), TargetTableName: aws.String(restored), RestoreDateTime: aws.Time(time.Now()),
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := ddb.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(restored)}); err != nil {
			t.Errorf("delete the restored table: %v", err)
		}
	})
	if err := dynamodb.NewTableExistsWaiter(ddb).Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(restored)}, time.Minute); err != nil {
		t.Fatal(err)
	}

	cfg := e.Config
	cfg.TableName = restored
	on := app.New(cfg, e.AWS, stacktest.Logger(t), app.Options{})
	if _, err := on.Accounts.Authenticate(ctx, "ApiKey "+acct.Token.Value); err != nil {
		t.Fatalf("the account's token does not authenticate against the restored table: %v", err)
	}
}
