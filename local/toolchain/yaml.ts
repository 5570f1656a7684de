// The toolchain recipe for `pulumi-language-yaml`, the language host that runs Pulumi.yaml
// programs (and generates YAML code for `pulumi import`). Built from github.com/pulumi/pulumi-yaml
// like the other recipes in local/toolchain.ts, cached per machine, placed in the toolchain bin dir.
//
// pulumi-yaml v1.25.0 requires pkg/sdk v3.206.0; the wrapper requires v3.248.0 instead (the
// engine's own version) so that the Go build cache filled by the `pulumi` recipe is reused: same
// module versions, same flags (-trimpath, the same tags, CGO off), hence a short cold build
// (docs/TOOLCHAIN.md has the measured time). Between the two, pkg/v3 changed a few signatures the
// host calls; the wrapper builds a copy of the module (the module cache is read-only) with
// PATCHES applied, each of which must still match, else the build stops and says which.
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { PULUMI_VERSION, pulumiWrapperGoMod, Recipe, runGo, writeIfChanged } from "../toolchain";

interface Patch {
    file: string;
    from: string;
    to: string;
}

/** pkg/v3 v3.206.0 → v3.248.0 API changes, as pulumi-yaml's own later commits would make them. */
const PATCHES: Patch[] = [
    // schema.NewPluginLoader takes the *plugin.Context now, not its Host.
    {
        file: "pkg/pulumiyaml/packages.go",
        from: "\thost, err := newResourcePackageHost(plugins, packages)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treturn packageLoader{schema.NewPluginLoader(host), host}, nil",
        to: "\tpctx, err := newResourcePackageContext(plugins, packages)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\treturn packageLoader{schema.NewPluginLoader(pctx), pctx.Host}, nil",
    },
    {
        file: "pkg/pulumiyaml/packages.go",
        from: "func newResourcePackageHost(plugins *workspace.Plugins, packages map[string]workspace.PackageSpec) (plugin.Host, error) {",
        to: "func newResourcePackageContext(plugins *workspace.Plugins, packages map[string]workspace.PackageSpec) (*plugin.Context, error) {",
    },
    // plugin.NewContextWithRoot lost its last (debugging) argument and no longer makes a plugin
    // host when given none: the caller makes it (pkg/v3/host.New, as the CLI's own commands do).
    {
        file: "pkg/pulumiyaml/packages.go",
        from: '\t"github.com/pulumi/pulumi/pkg/v3/codegen/schema"\n',
        to: '\t"github.com/pulumi/pulumi/pkg/v3/codegen/schema"\n\tpkghost "github.com/pulumi/pulumi/pkg/v3/host"\n',
    },
    {
        file: "pkg/pulumiyaml/packages.go",
        from: "pluginCtx, err := plugin.NewContextWithRoot(ctx, sink, sink, nil, cwd, cwd, nil, true, nil, plugins, packages, nil, nil)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\n\treturn pluginCtx.Host, nil",
        to:
            "host, err := pkghost.New(ctx, sink, sink, nil, nil, nil, nil, nil)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n" +
            "\tpluginCtx, err := plugin.NewContextWithRoot(ctx, sink, sink, host, cwd, cwd, nil, true, nil, plugins, packages, nil)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\n\treturn pluginCtx, nil",
    },
    {
        file: "pkg/pulumiyaml/codegen/convert.go",
        from: '\t"github.com/pulumi/pulumi/pkg/v3/codegen/schema"\n',
        to: '\t"github.com/pulumi/pulumi/pkg/v3/codegen/schema"\n\tpkghost "github.com/pulumi/pulumi/pkg/v3/host"\n',
    },
    {
        file: "pkg/pulumiyaml/codegen/convert.go",
        from: "pluginCtx, err := plugin.NewContext(ctx, sink, sink, nil, nil, cwd, nil, true, nil)",
        to: "host, err := pkghost.New(ctx, sink, sink, nil, nil, nil, nil, nil)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tpluginCtx, err := plugin.NewContext(ctx, sink, sink, host, nil, cwd, nil, true, nil)",
    },
    { file: "pkg/pulumiyaml/codegen/convert.go", from: "func newPluginHost() (plugin.Host, error) {", to: "func newPluginHost() (*plugin.Context, error) {" },
    { file: "pkg/pulumiyaml/codegen/convert.go", from: "\treturn pluginCtx.Host, nil\n}", to: "\treturn pluginCtx, nil\n}" },
    { file: "pkg/pulumiyaml/codegen/convert.go", from: "defer contract.IgnoreClose(host)", to: "defer contract.IgnoreClose(host.Host)" },
    // pcl.BindProgram takes the loader as an argument (the pcl.Loader option is gone).
    {
        file: "pkg/pulumiyaml/codegen/convert.go",
        from: "\tbindOpts = append(bindOpts, pcl.Loader(loader))\n\tprogram, pdiags, err := pcl.BindProgram(parser.Files, bindOpts...)",
        to: "\tprogram, pdiags, err := pcl.BindProgram(parser.Files, loader, bindOpts...)",
    },
    {
        file: "pkg/server/server.go",
        from: "\t\tpcl.Loader(schema.NewCachedLoader(loader)),\n",
        to: "",
    },
    {
        file: "pkg/server/server.go",
        from: "program, diags, err := pcl.BindProgram(parser.Files, bindOptions...)",
        to: "program, diags, err := pcl.BindProgram(parser.Files, schema.NewCachedLoader(loader), bindOptions...)",
    },
    // schema.Parameterization's BaseProvider became BasePlugin.
    {
        file: "pkg/server/server.go",
        from: "\t\tlock.Name = pkg.Parameterization.BaseProvider.Name\n\t\tlock.Version = pkg.Parameterization.BaseProvider.Version.String()",
        to: "\t\tlock.Name = pkg.Parameterization.BasePlugin.Name\n\t\tlock.Version = pkg.Parameterization.BasePlugin.Version.String()",
    },
    // pcl.Resource's Token field became GetToken().
    {
        file: "pkg/pulumiyaml/codegen/gen_program.go",
        from: "g.TypeProperty(collapseToken(n.Token)),",
        to: "g.TypeProperty(collapseToken(func() string { t, _ := n.GetToken(); return t }())),",
    },
];

/** A writable copy of the module at `dir` with PATCHES applied, in `target`. */
function patchedCopy(moduleDir: string, target: string): void {
    fs.rmSync(target, { recursive: true, force: true });
    fs.cpSync(moduleDir, target, { recursive: true });
    fs.chmodSync(target, 0o755);
    for (const { file, from, to } of PATCHES) {
        const f = path.join(target, file);
        fs.chmodSync(f, 0o644);
        const text = fs.readFileSync(f, "utf8");
        if (!text.includes(from))
            throw new Error(`pulumi-yaml ${PULUMI_YAML_VERSION}: ${file} no longer contains ${JSON.stringify(from)} (local/toolchain/yaml.ts PATCHES)`);
        fs.writeFileSync(f, text.replace(from, to));
    }
}

/** The pulumi-yaml release (the newest the module proxy serves on 2026-11-26). */
export const PULUMI_YAML_VERSION = "v1.25.0";

export function yamlLanguageHostRecipe(): Recipe {
    const pulumiVersion = `v${PULUMI_VERSION}`;
    // Cached by release, engine version and patches: a changed patch rebuilds.
    const patchKey = crypto.createHash("sha256").update(JSON.stringify(PATCHES)).digest("hex").slice(0, 8);
    return {
        name: "pulumi-language-yaml",
        version: `${PULUMI_YAML_VERSION}-pulumi${pulumiVersion}-${patchKey}`,
        async build({ workDir, logFile }) {
            // Outside the wrapper module (whose go.mod replaces this very module).
            const out = await runGo(["mod", "download", "-json", `github.com/pulumi/pulumi-yaml@${PULUMI_YAML_VERSION}`], path.dirname(workDir), logFile);
            const info = JSON.parse(out.slice(out.indexOf("{")));
            patchedCopy(info.Dir, path.join(workDir, "pulumi-yaml"));
            writeIfChanged(
                path.join(workDir, "go.mod"),
                pulumiWrapperGoMod(
                    "pulumi-language-yaml",
                    [`github.com/pulumi/pulumi-yaml ${PULUMI_YAML_VERSION}`],
                    ["replace github.com/pulumi/pulumi-yaml => ./pulumi-yaml", "tool github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"],
                ),
            );
            await runGo(["mod", "tidy"], workDir, logFile);
            const ldflags = `-w -s -X github.com/pulumi/pulumi-yaml/pkg/version.Version=${PULUMI_YAML_VERSION}`;
            await runGo(
                [
                    "build",
                    "-trimpath",
                    "-tags",
                    "osusergo,grpcnotrace",
                    "-ldflags",
                    ldflags,
                    "-o",
                    "out/pulumi-language-yaml",
                    "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml",
                ],
                workDir,
                logFile,
            );
        },
    };
}
