package leader

import "errors"

// ErrLeaseLost is returned when the caller no longer holds the lease it names: by Renew and
// Release when the lease expired or another holder took it, and by fenced writes (Fence.Check,
// FencedScript.Run, Fence.Tx) when the write was refused because the writer is stale.
var ErrLeaseLost = errors.New("lease lost")

// ErrLeaseHeld is returned by TryAcquire when another holder (or an earlier holding of the same
// holder id) has the lease.
var ErrLeaseHeld = errors.New("lease held by another holder")

// LossReason says why a holding ended. It is the reason label of
// relayminer_lease_lost_total.
type LossReason string

const (
	// LossExpired: the lease was gone from Redis at renewal (it expired).
	LossExpired LossReason = "expired"
	// LossStolen: at renewal the lease carried another holder's value.
	LossStolen LossReason = "stolen"
	// LossReleased: this replica gave the lease up (rebalance, removed supplier, shutdown).
	LossReleased LossReason = "released"
	// LossRedisError: renewals failed until the lease could have expired, so the holder stopped
	// before anyone else could take over.
	LossRedisError LossReason = "redis_error"
)

var lossReasons = []LossReason{LossExpired, LossStolen, LossReleased, LossRedisError}

// errShortReply means a script answered with fewer statuses than keys it was given.
var errShortReply = errors.New("lease script: reply does not match the keys sent")
