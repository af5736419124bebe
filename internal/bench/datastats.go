//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Each zerosmb instance serves its Prometheus metrics on a second loopback
// port (--metrics); runOnce reads its payload counters (the server's
// DataStats) before and after the data phase, so every row shows how many
// of the bytes it moved went by sendfile (READ) or splice (WRITE).

// dataCounters are zerosmb's payload byte counters by path.
type dataCounters struct {
	read, readSendfile, write, writeSplice int64
}

// scrapeData reads the payload counters from the metrics endpoint addr.
func scrapeData(addr string) (dataCounters, error) {
	var d dataCounters
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get("http://" + addr + "/metrics")
	if err != nil {
		return d, fmt.Errorf("bench: metrics: %w", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		n := int64(v)
		switch {
		case strings.HasPrefix(name, "zerosmb_read_bytes_total{"):
			d.read += n
			if strings.Contains(name, `path="sendfile"`) {
				d.readSendfile += n
			}
		case strings.HasPrefix(name, "zerosmb_write_bytes_total{"):
			d.write += n
			if strings.Contains(name, `path="splice"`) {
				d.writeSplice += n
			}
		}
	}
	return d, sc.Err()
}

// zeroCopy returns, for the data phase between a and b, the payload bytes
// in the case's direction and how many of them took the zero-copy path.
func zeroCopy(a, b dataCounters, write bool) (zc, payload int64) {
	if write {
		return b.writeSplice - a.writeSplice, b.write - a.write
	}
	return b.readSendfile - a.readSendfile, b.read - a.read
}
