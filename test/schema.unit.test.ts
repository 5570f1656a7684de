// schema.json is generated from the zod input schemas; this fails when the committed file is stale
// or when the generated schema loses what users rely on (secrets, required inputs, replacements).
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { generateSchema } from "../sdk/schema/generate";

const SCHEMA_PATH = path.resolve(__dirname, "..", "..", "schema.json");

describe("schema.json", () => {
    const generated = generateSchema();

    it("is up to date with the zod schemas (run `npm run schema` to regenerate)", () => {
        const committed = JSON.parse(fs.readFileSync(SCHEMA_PATH, "utf8"));
        expect(committed).to.deep.equal(JSON.parse(JSON.stringify(generated)));
    });

    it("describes both resources with their required inputs", () => {
        const bmh = generated.resources["metal3:index:BareMetalHost"];
        const machine = generated.resources["metal3:index:Machine"];
        expect(bmh.requiredInputs).to.include.members(["bmc", "online"]);
        expect(bmh.properties).to.have.property("nodeUuid");
        expect(machine.properties).to.have.property("providerID");
    });

    it("marks passwords and config-drive contents secret", () => {
        const bmh = generated.resources["metal3:index:BareMetalHost"];
        for (const p of ["userData", "networkData", "metaData"]) expect(bmh.inputProperties[p].secret, p).to.equal(true);
        const bmcRef: string = bmh.inputProperties.bmc.$ref;
        const bmcType = generated.types[bmcRef.replace("#/types/", "")];
        expect(bmcType.properties.password.secret).to.equal(true);
        const machine = generated.resources["metal3:index:Machine"];
        expect(machine.inputProperties.userData.secret).to.equal(true);
    });
});
