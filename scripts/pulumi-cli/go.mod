// Wrapper module that pins the Pulumi CLI built by ../pulumi-cli.sh.
// It is only a build recipe: nothing in this repository imports it.
module pulumi-cyclecloud/scripts/pulumi-cli

go 1.25.11

// Copied from github.com/pulumi/pulumi/pkg/v3@v3.248.0's go.mod (replace
// directives of dependencies are ignored, so they must be repeated here).
replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

require (
	github.com/pulumi/pulumi/pkg/v3 v3.248.0
	github.com/pulumi/pulumi/sdk/v3 v3.248.0
)
