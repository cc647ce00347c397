// npm's `node-onvif` (OnvifDevice) against a camcgi camera, built from an
// address as its users build it: init(), a snapshot (which it asks for at
// `//cgi-bin/snapshot.cgi`, the query left out), a PTZ move and stop.
// Usage: node node_onvif.js PORT. Prints DONE and exits 0 when every step held.
'use strict';
const onvif = require('node-onvif');

function fail(what, err) {
	console.log(`FAILED: ${what}: ${err && (err.message || err)}`);
	process.exit(1);
}

const device = new onvif.OnvifDevice({ address: `127.0.0.1:${process.argv[2]}`, user: 'admin', pass: '123456' });
device.init()
	.then((info) => {
		if (!info.Model) return fail('init', JSON.stringify(info));
		console.log(`ok: init (${info.Manufacturer} ${info.Model})`);
		return device.fetchSnapshot();
	})
	.then((res) => {
		if (res.body[0] !== 0xff || res.body[1] !== 0xd8) return fail('snapshot', 'not a JPEG');
		console.log(`ok: snapshot (${res.body.length} bytes)`);
		return device.ptzMove({ speed: { x: 0.5, y: 0, z: 0 }, timeout: 5 });
	})
	.then(() => {
		console.log('ok: moving');
		return device.ptzStop();
	})
	.then(() => {
		console.log('ok: stopped');
		console.log('DONE');
	})
	.catch((err) => fail('node-onvif', err));
