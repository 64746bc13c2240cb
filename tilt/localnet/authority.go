package localnet

import (
	"fmt"

	"github.com/cosmos/cosmos-sdk/types/address"
	"github.com/cosmos/cosmos-sdk/types/bech32"
)

// authorityMsgs are the param updates the validator key may execute on behalf of x/gov, the
// authority of every poktroll module. poktroll's own localnet grants them to its PNF account
// the same way (tools/scripts/authz/localnet_genesis_authorizations.json), which saves a
// governance vote per change.
var authorityMsgs = []string{
	"/pocket.shared.MsgUpdateParams",
	"/pocket.shared.MsgUpdateParam",
	"/pocket.service.MsgUpdateParam",
	"/pocket.proof.MsgUpdateParam",
}

// GovAuthority is the x/gov module account, the authority poktroll's MsgUpdateParam(s) check.
func GovAuthority() string {
	addr, err := bech32.ConvertAndEncode("pokt", address.Module("gov"))
	if err != nil { // a constant input: only a broken bech32 package gets here
		panic(err)
	}
	return addr
}

// addAuthorityGrants adds authz grants from x/gov to grantee for authorityMsgs to a decoded
// genesis, so `tx authz exec` signed by grantee updates params in the block it lands in.
func addAuthorityGrants(g map[string]any, grantee string) error {
	appState, ok := g["app_state"].(map[string]any)
	if !ok {
		return fmt.Errorf("app_state: not an object")
	}
	authz, ok := appState["authz"].(map[string]any)
	if !ok {
		return fmt.Errorf("app_state.authz: not an object")
	}
	grants, _ := authz["authorization"].([]any)
	for _, msg := range authorityMsgs {
		grants = append(grants, map[string]any{
			"granter": GovAuthority(),
			"grantee": grantee,
			"authorization": map[string]any{
				"@type": "/cosmos.authz.v1beta1.GenericAuthorization",
				"msg":   msg,
			},
			"expiration": "2500-01-01T00:00:00Z",
		})
	}
	authz["authorization"] = grants
	return nil
}
