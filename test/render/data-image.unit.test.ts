// The DataImage object beside a BareMetalHost (provider/render/data-image.ts) against the vendored
// CRD (crds/metal3.io_dataimages.yaml) with the ajv validator; the real kube-apiserver's verdict
// is test/render/apiserver.test.ts.
import { expect } from "chai";
import { renderDataImage } from "../../provider/render";
import { crds } from "./crd-dir";

describe("render: DataImage", () => {
    it("named as its host, spec.url; status.attachedImage.url when attached; valid against the CRD (spec and status)", () => {
        const o = renderDataImage({ name: "node-0", namespace: "metal3", url: "http://172.22.0.1/data.iso", attachedUrl: "http://172.22.0.1/data.iso" });
        expect(o).to.deep.equal({
            apiVersion: "metal3.io/v1alpha1",
            kind: "DataImage",
            metadata: { name: "node-0", namespace: "metal3" },
            spec: { url: "http://172.22.0.1/data.iso" },
            status: { attachedImage: { url: "http://172.22.0.1/data.iso" } },
        });
        expect(crds().validate(o)).to.deep.equal([]);
        expect(crds().validateStatus(o.apiVersion, o.kind, o.status)).to.deep.equal([]);
    });
    it("not attached (yet): no status; default namespace", () => {
        const o = renderDataImage({ name: "node-1", url: "https://images.example/d.iso" });
        expect(o.status).to.equal(undefined);
        expect(o.metadata.namespace).to.equal("default");
        expect(crds().validate(o)).to.deep.equal([]);
    });
    it("the validator catches what the CRD refuses (a spec without url)", () => {
        const o = renderDataImage({ name: "node-2", url: "http://x/d.iso" }) as unknown as { spec: Record<string, unknown> };
        delete o.spec.url;
        expect(
            crds()
                .validate(o as never)
                .join("\n"),
        ).to.match(/url/);
    });
});
