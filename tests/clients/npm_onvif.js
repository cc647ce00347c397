// npm's `onvif` (Cam) against a camcgi camera: connects, lists profiles,
// moves the PTZ head and stops it. Usage: node npm_onvif.js PORT.
// Prints DONE and exits 0 when every step held.
'use strict';
const { Cam } = require('onvif');

function fail(what, err) {
	console.log(`FAILED: ${what}: ${err && (err.message || err)}`);
	process.exit(1);
}

const cam = new Cam({ hostname: '127.0.0.1', port: Number(process.argv[2]), username: 'admin', password: '123456', timeout: 20000 }, function (err) {
	if (err) return fail('connect', err);
	console.log('ok: connected');
	this.getProfiles((err, profiles) => {
		if (err) return fail('profiles', err);
		if (profiles.length !== 2) return fail('profiles', `${profiles.length} profiles`);
		console.log(`ok: ${profiles.length} profiles`);
		this.continuousMove({ x: 0.5, y: 0, zoom: 0 }, (err) => {
			if (err) return fail('continuous move', err);
			console.log('ok: moving');
			this.getStatus({}, (err, status) => {
				if (err) return fail('status', err);
				if (status.moveStatus.panTilt !== 'MOVING') return fail('status', JSON.stringify(status));
				this.stop({ panTilt: true, zoom: true }, (err) => {
					if (err) return fail('stop', err);
					console.log('ok: stopped');
					console.log('DONE');
				});
			});
		});
	});
});
cam.on('warning', (w) => console.log(`warning: ${w}`));
