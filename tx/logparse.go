package tx

import (
	"strconv"
	"strings"
)

// indexMarker precedes the failing message's index in a baseapp error: "failed to execute
// message; message index: 2: <cause>".
const indexMarker = "message index: "

// messageIndex returns the index of the failing message named in a chain log, or -1. When the
// marker appears several times (a post handler wrapping a message error) the first one, the
// outermost wrap naming a message, is used.
func messageIndex(log string) int {
	i := strings.Index(log, indexMarker)
	if i < 0 {
		return -1
	}
	n, ok := leadingUint(log[i+len(indexMarker):])
	if !ok || n > 1<<20 {
		return -1
	}
	return int(n)
}

// seqMarker precedes the sequence the chain wanted in an ante handler error: "account sequence
// mismatch, expected 7, got 5: incorrect account sequence".
const seqMarker = "account sequence mismatch, expected "

// expectedSequence returns the sequence the chain expected, parsed from a mismatch log.
func expectedSequence(log string) (uint64, bool) {
	i := strings.Index(log, seqMarker)
	if i < 0 {
		return 0, false
	}
	return leadingUint(log[i+len(seqMarker):])
}

// leadingUint parses the decimal digits at the start of s.
func leadingUint(s string) (uint64, bool) {
	end := 0
	for end < len(s) && end < 20 && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	if end == 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:end], 10, 64)
	return n, err == nil
}
