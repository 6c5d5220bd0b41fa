package httpapi_test

import (
	"os"
	"testing"

	"github.com/mercato-dev/mercato/infra/stacktest"
)

var harness = stacktest.New()

func TestMain(m *testing.M) { os.Exit(harness.Main(m)) }
