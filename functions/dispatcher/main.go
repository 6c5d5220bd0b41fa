// Command dispatcher consumes the webhook queue and delivers signed events
// to the endpoints accounts registered.
package main

import (
	"github.com/mercato-dev/mercato/internal/app/dispatcherfn"
	"github.com/mercato-dev/mercato/internal/app/function"
)

func main() { function.Start("dispatcher", dispatcherfn.Lambda) }
