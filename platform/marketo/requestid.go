package marketo

import (
	"math/rand/v2"
	"strconv"
	"time"
)

// NewRequestID returns a request id in Marketo's form: a short random hex prefix, '#', and
// the current time in epoch milliseconds as hex (for example "e42b#14272d07d78").
func NewRequestID(now time.Time) string {
	prefix := strconv.FormatUint(uint64(rand.Uint32N(0xfffff)+1), 16)
	return prefix + "#" + strconv.FormatInt(now.UnixMilli(), 16)
}
