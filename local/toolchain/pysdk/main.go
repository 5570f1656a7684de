// gen-python-sdk: the Python SDK of a Pulumi package, from its schema, with Pulumi's own code
// generator (pkg/v3/codegen/python, the one `pulumi package gen-sdk --language python` runs inside
// the Python language host, which is not in the `pulumi` wheel and which the module proxy does not
// serve). Built and cached by local/toolchain/pysdk.ts, like gen-go-sdk (local/toolchain/gosdk).
//
//	gen-python-sdk <schema.json> <output dir>
//
// Writes the generated files under <output dir>: the package metadata (setup.py or pyproject.toml,
// as the schema's language.python section asks) and the package directory named by
// language.python.packageName, as upstream lays out sdk/python.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"
	pygen "github.com/pulumi/pulumi/pkg/v3/codegen/python"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// noLoader: the metal3 schema references no other package; any reference is an error here.
type noLoader struct{}

func (noLoader) LoadPackage(pkg string, _ *semver.Version) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema references package %q: gen-python-sdk loads no other packages", pkg)
}

func (noLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, fmt.Errorf("the schema references package %q: gen-python-sdk loads no other packages", d.Name)
}

func (noLoader) LoadPackageReference(pkg string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema references package %q: gen-python-sdk loads no other packages", pkg)
}

func (noLoader) LoadPackageReferenceV2(_ context.Context, d *schema.PackageDescriptor) (schema.PackageReference, error) {
	return nil, fmt.Errorf("the schema references package %q: gen-python-sdk loads no other packages", d.Name)
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen-python-sdk <schema.json> <output dir>")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "gen-python-sdk:", err)
		os.Exit(1)
	}
}

func run(schemaPath, outDir string) error {
	raw, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	pkg, diags, err := schema.BindSpec(spec, noLoader{}, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return fmt.Errorf("%s does not bind: %s", schemaPath, diags.Error())
	}
	files, err := pygen.GeneratePackage("pulumi-metal3", pkg, nil, noLoader{})
	if err != nil {
		return err
	}
	for name, content := range files {
		target := filepath.Join(outDir, name)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(target, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
