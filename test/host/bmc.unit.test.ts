import { expect } from "chai";
import { bmcProfile, parseBmcAddress } from "../../provider/host/bmc";

const creds = { username: "admin", password: "pw" };

describe("host/bmc: BMC address → Ironic driver, interfaces, driver_info (baremetal-operator pkg/hardwareutils/bmc/)", () => {
    it("ipmi:// with port and privilege level", () => {
        const p = bmcProfile({ address: "ipmi://10.0.0.5:6230?privilegelevel=OPERATOR", ...creds });
        expect(p.driver).to.equal("ipmi");
        expect(p.interfaces).to.deep.equal({ boot_interface: "ipxe", raid_interface: "no-raid" });
        expect(p.driverInfo).to.deep.equal({
            ipmi_address: "10.0.0.5",
            ipmi_port: "6230",
            ipmi_priv_level: "OPERATOR",
            ipmi_username: "admin",
            ipmi_password: "pw",
        });
        expect(p.supportsSecureBoot).to.equal(false);
        expect(p.supportsRaid).to.equal(false);
        expect(p.fastInspectInterface).to.equal(undefined);
    });
    it("a bare host is ipmi on port 623, ADMINISTRATOR; disableCertificateVerification → ipmi_verify_ca false", () => {
        const p = bmcProfile({ address: "192.168.1.10", ...creds, disableCertificateVerification: true });
        expect(p.driver).to.equal("ipmi");
        expect(p.driverInfo).to.include({ ipmi_address: "192.168.1.10", ipmi_port: "623", ipmi_priv_level: "ADMINISTRATOR", ipmi_verify_ca: false });
    });
    it("libvirt:// is ipmi and needs a MAC", () => {
        const p = bmcProfile({ address: "libvirt://192.168.122.1:6233/", ...creds });
        expect(p.driver).to.equal("ipmi");
        expect(p.needsMac).to.equal(true);
        expect(p.driverInfo.ipmi_port).to.equal("6233");
    });
    it("redfish:// defaults to https and keeps the system path", () => {
        const p = bmcProfile({ address: "redfish://bmc.example.com/redfish/v1/Systems/1", ...creds, disableCertificateVerification: true });
        expect(p.driver).to.equal("redfish");
        expect(p.interfaces).to.deep.equal({ boot_interface: "ipxe", raid_interface: "redfish", firmware_interface: "redfish" });
        expect(p.driverInfo).to.deep.equal({
            redfish_address: "https://bmc.example.com",
            redfish_system_id: "/redfish/v1/Systems/1",
            redfish_username: "admin",
            redfish_password: "pw",
            redfish_verify_ca: false,
        });
        expect(p.fastInspectInterface).to.equal("redfish");
        expect(p.supportsSecureBoot).to.equal(true);
    });
    it("redfish+http:// with port; no system id for an empty or redfish/v1 path", () => {
        expect(bmcProfile({ address: "redfish+http://10.1.1.1:8000", ...creds }).driverInfo).to.deep.equal({
            redfish_address: "http://10.1.1.1:8000",
            redfish_username: "admin",
            redfish_password: "pw",
        });
        expect(bmcProfile({ address: "redfish+https://10.1.1.1/redfish/v1/", ...creds }).driverInfo).to.not.have.property("redfish_system_id");
    });
    it("ilo5-redfish:// is the redfish driver", () => {
        expect(bmcProfile({ address: "ilo5-redfish://10.0.0.1/redfish/v1/Systems/1", ...creds }).driver).to.equal("redfish");
    });
    it("redfish-virtualmedia:// and ilo5-virtualmedia:// boot through redfish-virtual-media", () => {
        for (const scheme of ["redfish-virtualmedia", "ilo5-virtualmedia"]) {
            const p = bmcProfile({ address: `${scheme}://10.0.0.1/redfish/v1/Systems/1`, ...creds });
            expect(p.driver).to.equal("redfish");
            expect(p.interfaces.boot_interface).to.equal("redfish-virtual-media");
            expect(p.supportsIsoRamdisk).to.equal(true);
        }
    });
    it("idrac-redfish:// uses idrac-redfish for bios, management, power, vendor and raid", () => {
        const p = bmcProfile({ address: "idrac-redfish://10.0.0.1/redfish/v1/Systems/System.Embedded.1", ...creds });
        expect(p.driver).to.equal("idrac");
        expect(p.interfaces).to.deep.equal({
            boot_interface: "ipxe",
            bios_interface: "idrac-redfish",
            management_interface: "idrac-redfish",
            power_interface: "idrac-redfish",
            vendor_interface: "idrac-redfish",
            raid_interface: "idrac-redfish",
            firmware_interface: "redfish",
        });
    });
    it("idrac-virtualmedia:// boots through idrac-redfish-virtual-media", () => {
        const p = bmcProfile({ address: "idrac-virtualmedia+http://10.0.0.1/redfish/v1/Systems/1", ...creds });
        expect(p.driver).to.equal("idrac");
        expect(p.interfaces.boot_interface).to.equal("idrac-redfish-virtual-media");
        expect(p.driverInfo.redfish_address).to.equal("http://10.0.0.1");
    });
    it("redfish-uefihttp:// boots through redfish-https and always sends the system id", () => {
        const p = bmcProfile({ address: "redfish-uefihttp://10.0.0.1", ...creds });
        expect(p.interfaces.boot_interface).to.equal("redfish-https");
        expect(p.driverInfo).to.have.property("redfish_system_id", "");
    });
    it("fake:// is fake-hardware with fake interfaces and no driver_info", () => {
        const p = bmcProfile({ address: "fake://anything" });
        expect(p.driver).to.equal("fake-hardware");
        expect(p.isFake).to.equal(true);
        expect(p.driverInfo).to.deep.equal({});
        expect(Object.values(p.interfaces).every((i) => i === "fake")).to.equal(true);
    });
    it("rejects unknown schemes, transports on non-Redfish schemes and malformed hosts", () => {
        expect(() => parseBmcAddress("irmc://10.0.0.1")).to.throw(/unknown BMC type "irmc"/);
        expect(() => parseBmcAddress("ipmi+https://10.0.0.1")).to.throw(/does not take a "\+https" transport/);
        expect(() => parseBmcAddress("redfish://bad_host!/x")).to.throw(/not a valid URL|not a valid IP address or DNS name/);
        expect(() => parseBmcAddress("redfish://-bad-.example/x")).to.throw(/not a valid IP address or DNS name/);
        expect(() => parseBmcAddress("")).to.throw(/empty/);
    });
});
