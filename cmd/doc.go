// Package cmd holds the cobra commands of the pocket-relay-miner binary. Each command turns
// flags into a config, the config into constructors, and runs them; business logic lives in
// the packages the commands wire together.
//
// # Exit codes
//
//	0  success
//	1  runtime failure (a component stopped with an error)
//	2  bad usage or invalid configuration: fix the input, do not restart blindly
package cmd
