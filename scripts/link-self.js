// Makes `require("pulumi-metal3")` resolve inside this repository (examples, the dynamic-provider
// host, tests) to this very checkout, so there is exactly one copy of @pulumi/pulumi in play.
// Run by `npm run build` (not an install script: the published package has none, and a user's
// `npm install pulumi-metal3` already puts the package in their node_modules).
const fs = require("fs");
const path = require("path");
const root = path.resolve(__dirname, "..");
const link = path.join(root, "node_modules", "pulumi-metal3");
try {
    const st = fs.lstatSync(link);
    if (st.isSymbolicLink() && fs.realpathSync(link) === fs.realpathSync(root)) process.exit(0);
    fs.rmSync(link, { recursive: true, force: true });
} catch {}
fs.mkdirSync(path.dirname(link), { recursive: true });
fs.symlinkSync("..", link, "dir");
