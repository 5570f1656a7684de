// Lint: ESLint's and typescript-eslint's recommended rules on the TypeScript sources, with the
// exceptions below (each says why). `npm run lint` runs it after prettier's check; the test
// command (scripts/test.sh) runs `npm run lint` before the tests.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "dist/", "dist-plugin/", ".state/", "sdk-go/", "sdk-python/", "**/*.js", "**/*.mjs"] },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        rules: {
            // Ironic's JSON, Pulumi's untyped property maps and gRPC messages arrive as `any`; the
            // zod schemas are where inputs get their types.
            "@typescript-eslint/no-explicit-any": "off",
            // The dynamic providers load the provider by require() on purpose: Pulumi's closure
            // serializer then records `require("pulumi-metal3/...")` instead of the code
            // (sdk/providers/host-dynamic.ts); the plugin loads generated gRPC stubs the same way.
            "@typescript-eslint/no-require-imports": "off",
            // A leading underscore names what a destructuring leaves out on purpose.
            "@typescript-eslint/no-unused-vars": [
                "error",
                { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", caughtErrors: "none" },
            ],
        },
    },
    {
        // chai's property assertions (`expect(x).to.be.empty`) are expressions by design.
        files: ["test/**/*.ts"],
        rules: { "@typescript-eslint/no-unused-expressions": "off" },
    },
);
