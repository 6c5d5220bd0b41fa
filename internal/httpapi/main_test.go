package httpapi_test

import (
	"testing"

	"github.com/mercato-dev/mercato/infra/stacktest"
)

func TestMain(m *testing.M) { stacktest.Main(m) }
