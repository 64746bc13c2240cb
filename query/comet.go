package query

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxRPCBody bounds an RPC answer we read; a header range of 20 blocks is a few tens of KB.
const maxRPCBody = 8 << 20

// Block is one committed block as the relay miner sees it.
type Block struct {
	Height int64
	Hash   []byte // CometBFT BlockID hash, the hash sessions and proof seeds are built from
	Time   time.Time
}

// Status is the node's view of the chain.
type Status struct {
	LatestHeight int64
	LatestHash   []byte
	LatestTime   time.Time
	CatchingUp   bool
}

// ABCIInfo is the application's self-description.
type ABCIInfo struct {
	Data       string // application name
	Version    string // application (chain software) version, e.g. "v0.1.35"
	AppVersion uint64 // protocol version
	LastHeight int64
}

// comet is a small JSON client of the CometBFT RPC (GET routes, JSON-RPC 2.0 envelopes).
type comet struct {
	base string
	http *http.Client
}

// rpcEnvelope is a JSON-RPC 2.0 answer.
type rpcEnvelope struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Data    string `json:"data"`
	} `json:"error"`
}

// get calls route with params and decodes the result into out.
func (c *comet) get(ctx context.Context, route string, params url.Values, out any) error {
	u := strings.TrimRight(c.base, "/") + "/" + route
	if len(params) > 0 {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err // classified as transient (connection) or the caller's cancellation
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxRPCBody))
	if err != nil {
		return err
	}
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		// CometBFT answers JSON-RPC errors with 500 as well; those carry an error body.
		var env rpcEnvelope
		if json.Unmarshal(body, &env) != nil || env.Error == nil {
			return fmt.Errorf("%w: http %d from %s", ErrTransient, resp.StatusCode, route)
		}
	} else if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: http %d from %s", ErrInvalid, resp.StatusCode, route)
	}
	var env rpcEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return fmt.Errorf("%w: decode %s answer: %w", ErrInvalid, route, err)
	}
	if env.Error != nil {
		return rpcError(route, env.Error.Message, env.Error.Data)
	}
	if err := json.Unmarshal(env.Result, out); err != nil {
		return fmt.Errorf("%w: decode %s result: %w", ErrInvalid, route, err)
	}
	return nil
}

// rpcError classifies a JSON-RPC error. Heights the node does not have (in the future, or
// pruned) are ErrNotFound; everything else is a refused request.
func rpcError(route, msg, data string) error {
	text := msg + ": " + data
	for _, s := range []string{
		"must be less than or equal to the current blockchain height",
		"is not available, lowest height is",
		"can't be greater than max height",
		"height must be greater than",
	} {
		if strings.Contains(data, s) {
			return fmt.Errorf("%w: %s: %s", ErrNotFound, route, text)
		}
	}
	return fmt.Errorf("%w: %s: %s", ErrInvalid, route, text)
}

// jsonInt64 is an int64 that CometBFT encodes as a JSON string.
type jsonInt64 int64

func (v *jsonInt64) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*v = 0
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	*v = jsonInt64(n)
	return err
}

// hexBytes is a byte string that CometBFT encodes as upper-case hex.
type hexBytes []byte

func (h *hexBytes) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	out, err := hex.DecodeString(s)
	*h = out
	return err
}

type blockMeta struct {
	BlockID struct {
		Hash hexBytes `json:"hash"`
	} `json:"block_id"`
	Header struct {
		Height jsonInt64 `json:"height"`
		Time   time.Time `json:"time"`
	} `json:"header"`
}

// maxBlockRange is the most headers one /blockchain call returns.
const maxBlockRange = 20

// BlockRange returns the blocks from..to (inclusive, at most 20) in ascending order, header
// data only, from the /blockchain route. Heights the node does not have are left out; asking
// only for such heights is ErrNotFound.
func (c *Client) BlockRange(ctx context.Context, from, to int64) ([]Block, error) {
	if to-from+1 > maxBlockRange {
		to = from + maxBlockRange - 1
	}
	var out []Block
	err := c.rpc(ctx, MethodBlockRange, func(ctx context.Context) error {
		var r struct {
			BlockMetas []blockMeta `json:"block_metas"`
		}
		params := url.Values{"minHeight": {strconv.FormatInt(from, 10)}, "maxHeight": {strconv.FormatInt(to, 10)}}
		if err := c.comet.get(ctx, "blockchain", params, &r); err != nil {
			return err
		}
		out = make([]Block, 0, len(r.BlockMetas))
		for i := len(r.BlockMetas) - 1; i >= 0; i-- { // the node answers newest first
			m := r.BlockMetas[i]
			if len(m.BlockID.Hash) == 0 || m.Header.Height <= 0 {
				return errEmpty
			}
			out = append(out, Block{Height: int64(m.Header.Height), Hash: m.BlockID.Hash, Time: m.Header.Time})
		}
		if len(out) == 0 {
			return fmt.Errorf("%w: no block in [%d, %d]", ErrNotFound, from, to)
		}
		return nil
	})
	return out, err
}

// Block returns the block at height (header data only); ErrNotFound when the node does not
// have it yet or any more.
func (c *Client) Block(ctx context.Context, height int64) (Block, error) {
	var out Block
	err := c.rpc(ctx, MethodBlock, func(ctx context.Context) error {
		var r struct {
			BlockMetas []blockMeta `json:"block_metas"`
		}
		h := strconv.FormatInt(height, 10)
		if err := c.comet.get(ctx, "blockchain", url.Values{"minHeight": {h}, "maxHeight": {h}}, &r); err != nil {
			return err
		}
		if len(r.BlockMetas) != 1 || int64(r.BlockMetas[0].Header.Height) != height {
			return fmt.Errorf("%w: block %d", ErrNotFound, height)
		}
		m := r.BlockMetas[0]
		if len(m.BlockID.Hash) == 0 {
			return errEmpty
		}
		out = Block{Height: height, Hash: m.BlockID.Hash, Time: m.Header.Time}
		return nil
	})
	return out, err
}

// Status returns the node's latest block and whether it is still catching up.
func (c *Client) Status(ctx context.Context) (Status, error) {
	var out Status
	err := c.rpc(ctx, MethodStatus, func(ctx context.Context) error {
		var r struct {
			SyncInfo struct {
				LatestBlockHash   hexBytes  `json:"latest_block_hash"`
				LatestBlockHeight jsonInt64 `json:"latest_block_height"`
				LatestBlockTime   time.Time `json:"latest_block_time"`
				CatchingUp        bool      `json:"catching_up"`
			} `json:"sync_info"`
		}
		if err := c.comet.get(ctx, "status", nil, &r); err != nil {
			return err
		}
		s := r.SyncInfo
		out = Status{LatestHeight: int64(s.LatestBlockHeight), LatestHash: s.LatestBlockHash, LatestTime: s.LatestBlockTime, CatchingUp: s.CatchingUp}
		return nil
	})
	return out, err
}

// ABCIInfo returns the application's name and versions. An empty version is ErrInvalid: it
// means a pocketd built without its version ldflag, whose payload-hash behaviour is unknown.
func (c *Client) ABCIInfo(ctx context.Context) (ABCIInfo, error) {
	var out ABCIInfo
	err := c.rpc(ctx, MethodABCIInfo, func(ctx context.Context) error {
		var r struct {
			Response struct {
				Data            string    `json:"data"`
				Version         string    `json:"version"`
				AppVersion      jsonInt64 `json:"app_version"`
				LastBlockHeight jsonInt64 `json:"last_block_height"`
			} `json:"response"`
		}
		if err := c.comet.get(ctx, "abci_info", nil, &r); err != nil {
			return err
		}
		if r.Response.Version == "" {
			return fmt.Errorf("%w: the node reports an empty application version", ErrInvalid)
		}
		out = ABCIInfo{Data: r.Response.Data, Version: r.Response.Version, AppVersion: uint64(r.Response.AppVersion), LastHeight: int64(r.Response.LastBlockHeight)}
		return nil
	})
	return out, err
}

// rpc runs one CometBFT RPC call through the retry policy.
func (c *Client) rpc(ctx context.Context, me Method, attempt func(ctx context.Context) error) error {
	if c.comet == nil {
		return c.call.do(ctx, me, func(context.Context) error { return errNoComet })
	}
	return c.call.do(ctx, me, attempt)
}

// CometRPCURL returns the configured RPC URL (for the block feed's websocket).
func (c *Client) CometRPCURL() string {
	if c.comet == nil {
		return ""
	}
	return c.comet.base
}
