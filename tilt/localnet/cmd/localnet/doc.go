// Command localnet brings the local stack of package tilt/localnet up and down.
//
//	localnet up     [-dir .localnet] [-json] [-redis=true] [-backend=true] [-relayminer=true]
//	localnet status [-dir .localnet] [-json]
//	localnet down   [-dir .localnet]
//
// up starts the processes in the background (they outlive the command), waits until the
// supplier is in the application's session, and prints where everything runs, the keys, and
// commands to try. status reports the recorded processes and the chain height; down stops only
// the processes up recorded and waits until their listeners are closed. Exit status 1 means
// the command failed; status exits 3 when something recorded no longer runs.
package main
