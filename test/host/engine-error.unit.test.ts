// The shape of what a failed handler hands the engine (sdk/providers/errors.ts): what Pulumi's
// dynamic-provider host reads off the error (message; id + properties + reasons for "created but
// not ready"), nothing it could misread, and properties its protobuf Struct accepts.
import { expect } from "chai";
import { IronicError, isUnreachable } from "../../provider/ironic";
import { HostError } from "../../provider/host/converge";
import { engineError } from "../../sdk/providers/errors";

const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [require.resolve("@pulumi/pulumi")] }));

const refused = () =>
    new IronicError("get node n1 failed: cannot reach Ironic at http://127.0.0.1:1 (options): connect ECONNREFUSED; gave up after 3 attempts within 3 s", {
        operation: "get node n1",
        node: "n1",
        cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED", errno: -111 }),
    });

describe("engine errors (sdk/providers/errors)", () => {
    it("a plain Error with the message, nothing else (no code, cause or id)", () => {
        const e = engineError(Object.assign(refused(), { code: 7 }));
        expect(e.constructor).to.equal(Error);
        expect(e.message).to.contain("cannot reach Ironic");
        expect(e).to.not.have.property("code");
        expect(e).to.not.have.property("cause");
        expect(e).to.not.have.property("id");
    });

    it("non-Error throws become readable messages", () => {
        expect(engineError("boom").message).to.equal("boom");
        expect(engineError({ why: "x" }).message).to.equal('{"why":"x"}');
        expect(engineError(undefined).message).to.equal("undefined");
    });

    it("a partial failure carries id, properties (no undefined values, Struct-safe) and the message as reason", () => {
        const e = engineError(new HostError("host default~h: lost Ironic", "u-1", undefined, undefined, refused()), {
            id: "u-1",
            properties: { name: "h", description: undefined, bmc: { address: "fake://x" }, __provider: "p" },
        }) as Error & { id: string; properties: Record<string, unknown>; reasons: string[] };
        expect(e.id).to.equal("u-1");
        expect(e.properties).to.deep.equal({ name: "h", bmc: { address: "fake://x" }, __provider: "p" });
        expect(() => Struct.fromJavaScript(e.properties)).to.not.throw();
        expect(e.reasons).to.deep.equal(["host default~h: lost Ironic"]);
        expect(e).to.not.have.property("cause");
    });

    it("isUnreachable: a connection failure, also wrapped in a HostError; not an HTTP answer", () => {
        expect(isUnreachable(refused())).to.equal(true);
        expect(isUnreachable(new HostError("host h: ...", "u", undefined, undefined, refused()))).to.equal(true);
        expect(isUnreachable(new IronicError("x failed: Ironic answered HTTP 409", { operation: "x", status: 409 }))).to.equal(false);
        expect(isUnreachable(new Error("bug"))).to.equal(false);
    });
});
