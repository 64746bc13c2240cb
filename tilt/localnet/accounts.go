package localnet

// Account is one key in the chain home's test keyring.
type Account struct {
	// Name is the key name in the keyring (--from, --app, signing_key_names).
	Name string `json:"name"`
	// Address is its bech32 address.
	Address string `json:"address"`
	// Mnemonic is public test material from poktroll's config.yml; never a real secret.
	Mnemonic string `json:"-"`
}

// Accounts are the well-known test actors of the stack.
type Accounts struct {
	Validator    Account `json:"validator"`
	ServiceOwner Account `json:"service_owner"`
	Gateway      Account `json:"gateway"`
	Application  Account `json:"application"`
	Supplier     Account `json:"supplier"`
	// Supplier2 is funded but not staked: tests stake it (StakeSupplier) when they need a
	// supplier they may unstake or restake without disturbing supplier1.
	Supplier2 Account `json:"supplier2"`
	// PoorOperator (supplier3) is funded with Chain.PoorOperatorBalance and not staked: tests
	// stake it as the operator of a supplier owned by Supplier2, so its balance only pays
	// fees and can run out.
	PoorOperator Account `json:"poor_operator"`
}

// all lists the accounts in the order they are created and funded.
func (a Accounts) all() []Account {
	return []Account{a.Validator, a.ServiceOwner, a.Gateway, a.Application, a.Supplier, a.Supplier2, a.PoorOperator}
}

// set stores the i-th account of all() back.
func (a *Accounts) set(i int, acct Account) {
	switch i {
	case 0:
		a.Validator = acct
	case 1:
		a.ServiceOwner = acct
	case 2:
		a.Gateway = acct
	case 3:
		a.Application = acct
	case 4:
		a.Supplier = acct
	case 5:
		a.Supplier2 = acct
	case 6:
		a.PoorOperator = acct
	}
}

// WellKnownAccounts returns the actors with the public test mnemonics of poktroll's config.yml
// (validator1, app1, gateway1, supplier1, supplier2, supplier3; the service owner reuses
// source_owner_anvil's).
func WellKnownAccounts() Accounts {
	return Accounts{
		Validator: Account{Name: "validator1", Address: "",
			Mnemonic: "creek path rule retire evolve vehicle bargain champion roof whisper prize endorse unknown anchor fashion energy club sauce elder parent cotton old affair visa"},
		ServiceOwner: Account{Name: "service_owner",
			Mnemonic: serviceOwnerMnemonic},
		Gateway: Account{Name: "gateway1", Address: "pokt15vzxjqklzjtlz7lahe8z2dfe9nm5vxwwmscne4",
			Mnemonic: "salt iron goat also absorb depend involve agent apology between lift shy door left bulb arrange industry father jelly olive rifle return predict into"},
		Application: Account{Name: "app1", Address: "pokt1mrqt5f7qh8uxs27cjm9t7v9e74a9vvdnq5jva4",
			Mnemonic: "mention spy involve verb exercise fiction catalog order agent envelope mystery text defy sing royal fringe return face alpha knife wonder vocal virus drum"},
		Supplier: Account{Name: "supplier1", Address: "pokt19a3t4yunp0dlpfjrp7qwnzwlrzd5fzs2gjaaaj",
			Mnemonic: "cool industry busy tumble funny relax error state height like board wing goat emerge visual idle never unveil announce hill primary okay spatial frog"},
		Supplier2: Account{Name: "supplier2",
			Mnemonic: "peanut hen enroll meat legal have error input bulk later correct denial onion fossil wing excuse elephant object apology switch claim rare decide surface"},
		PoorOperator: Account{Name: "supplier3",
			Mnemonic: "client city senior tenant source soda spread buffalo shaft amused bar carbon keen off feel coral easily announce metal orphan sustain maple expand loop"},
	}
}

const serviceOwnerMnemonic = "burden effort glue note honey erupt fiscal vote gold addict toy flag spare wrap chest table bomb sort arena phone sadness sustain urge wink"
