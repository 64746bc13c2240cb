package localnet

import (
	"testing"
	"time"

	"github.com/shannon-ops/pocket-relay-miner/config"
)

// The configs StartOurs writes load with the real strict loader and carry the localnet's 1s
// block time in the file, not in a flag.
func TestOursConfigsLoad(t *testing.T) {
	l := &Localnet{Home: "/tmp/localnet/pocketd", ChainID: "pocket", RPCURL: "http://127.0.0.1:26657", GRPCAddr: "127.0.0.1:9090",
		RedisURL: "redis://127.0.0.1:6390", BackendURL: "http://127.0.0.1:8547", ServiceID: "anvil", Accounts: WellKnownAccounts()}
	relayerCfg, minerCfg := l.oursConfigs("127.0.0.1:8545", "127.0.0.1:9465", "127.0.0.1:9466")
	r, err := config.ParseRelayer("relayer.yaml", []byte(relayerCfg))
	if err != nil {
		t.Fatal(err)
	}
	m, err := config.ParseMiner("miner.yaml", []byte(minerCfg))
	if err != nil {
		t.Fatal(err)
	}
	if r.PocketNode.BlockTime != time.Second || m.PocketNode.BlockTime != time.Second {
		t.Fatalf("block time: relayer %s, miner %s; want 1s", r.PocketNode.BlockTime, m.PocketNode.BlockTime)
	}
}
