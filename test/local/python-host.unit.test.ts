// Our Python language host's choice of interpreter (local/toolchain/python-host.ts): Pulumi.yaml
// runtime.options.virtualenv, relative to the project's root, as if activated; else python3.
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { pythonCommandFor } from "../../local/toolchain/python-host";

describe("Python host: the program's interpreter", () => {
    let root: string;
    before(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "python-host-unit-"));
        fs.mkdirSync(path.join(root, "venv", "bin"), { recursive: true });
        fs.writeFileSync(path.join(root, "venv", "bin", "python"), "");
    });
    after(() => fs.rmSync(root, { recursive: true, force: true }));

    it("runtime.options.virtualenv: that venv's python, activated (VIRTUAL_ENV, its bin first on PATH, no PYTHONHOME)", () => {
        const cmd = pythonCommandFor({ rootDirectory: root, options: { virtualenv: "venv" } }, { PATH: "/usr/bin", PYTHONHOME: "/elsewhere" });
        expect(cmd.python).to.equal(path.join(root, "venv", "bin", "python"));
        expect(cmd.env.VIRTUAL_ENV).to.equal(path.join(root, "venv"));
        expect(cmd.env.PATH).to.equal(`${path.join(root, "venv", "bin")}:/usr/bin`);
        expect(cmd.env).to.not.have.property("PYTHONHOME");
    });

    it("no virtualenv: PULUMI_PYTHON_CMD, else python3", () => {
        expect(pythonCommandFor({ rootDirectory: root, options: {} }, {}).python).to.equal("python3");
        expect(pythonCommandFor({ rootDirectory: root, options: {} }, { PULUMI_PYTHON_CMD: "/opt/py/bin/python3.12" }).python).to.equal(
            "/opt/py/bin/python3.12",
        );
    });

    it("a virtualenv without bin/python is an error naming it and how to make it", () => {
        expect(() => pythonCommandFor({ rootDirectory: root, options: { virtualenv: "missing" } }, {})).to.throw(
            `${path.join(root, "missing")} (runtime.options.virtualenv) has no bin/python: create it with \`python3 -m venv missing\``,
        );
    });

    it("toolchains and type checkers it does not implement are refused, not ignored", () => {
        expect(() => pythonCommandFor({ rootDirectory: root, options: { toolchain: "uv" } }, {})).to.throw(/toolchain: "uv" is not supported/);
        expect(() => pythonCommandFor({ rootDirectory: root, options: { typechecker: "mypy", virtualenv: "venv" } }, {})).to.throw(
            /typechecker: "mypy" is not supported/,
        );
        expect(pythonCommandFor({ rootDirectory: root, options: { toolchain: "pip", typechecker: "none", virtualenv: "venv" } }, {}).python).to.equal(
            path.join(root, "venv", "bin", "python"),
        );
    });
});
