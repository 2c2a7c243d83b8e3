import { expect } from 'chai';
import { routeTemplate } from '../../src/http/app.js';
describe('request log', () => {
    it('when a path holds ids or versions, then the logged route replaces them', () => {
        expect(routeTemplate('/Patient/9434765919')).to.equal('/fhir/Patient/:id');
        expect(routeTemplate('/Patient/abc/_history/3')).to.equal('/fhir/Patient/:id/_history/:vid');
        expect(routeTemplate('/Immunization/$validate')).to.equal('/fhir/Immunization/$validate');
        expect(routeTemplate('/_history')).to.equal('/fhir/_history');
        expect(routeTemplate('/')).to.equal('/fhir');
    });
});
//# sourceMappingURL=logging.test.js.map