package httpapi_test

import (
	"os"
	"testing"

	"github.com/mercato-dev/mercato/internal/stacktest"
)

var harness = stacktest.New()

func TestMain(m *testing.M) {
	code := m.Run()
	if err := harness.Stop(); err != nil && code == 0 {
		code = 1
	}
	os.Exit(code)
}
