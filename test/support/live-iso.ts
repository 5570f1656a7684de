// A stand-in live ISO served by the web server behind the suite's own Ironic (its http_root), for
// the lab e2e tests that deploy one (IPMI in test/e2e/lab.test.ts, Redfish virtual media in
// test/bmc/redfish-lab-e2e.test.ts). Ironic and the BMC only download it; nothing boots it.
import * as fs from "fs";
import * as path from "path";
import { httpRootServerUrl } from "../../local/http-root";
import { stateFiles } from "../../local/ironic";
import { ironicsStartedByThisRun } from "./hooks";

export interface ServedIso {
    url: string;
    /** Removes the ISO and its folder. */
    remove(): void;
}

/** Writes `<http_root>/<folder>/live.iso` and returns its URL. */
export async function serveLiveIso(folder: string): Promise<ServedIso> {
    const ironic = ironicsStartedByThisRun()[0];
    if (!ironic) throw new Error("this test needs the Ironic the test run starts (its http_root serves the live ISO)");
    const files = stateFiles(ironic.stateDir);
    const httpUrl = await httpRootServerUrl(files.httpRoot, files.dir);
    if (!httpUrl) throw new Error(`no web server serves ${files.httpRoot}`);
    const dir = path.join(files.httpRoot, folder);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "live.iso"), "pulumi-metal3 e2e live ISO\n");
    return { url: `${httpUrl}/${folder}/live.iso`, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
