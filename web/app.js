// The camera's own page: every screen drives the camera through the public CGI API.

import { Fault, attrs, cgi, forget, heartbeat, latest, login, onSessionLost, read, uid, url, user } from './api.js';

const $ = (sel, root = document) => root.querySelector(sel);
const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

const ZONES = ['GMT-10:00', 'GMT-09:00', 'GMT-08:00', 'GMT-07:00', 'GMT-06:00', 'GMT-05:00', 'GMT-04:30', 'GMT-04:00',
  'GMT-03:30', 'GMT-03:00', 'GMT-02:00', 'GMT-01:00', 'GMT+00:00', 'GMT+01:00', 'GMT+02:00', 'GMT+03:00', 'GMT+03:30',
  'GMT+04:00', 'GMT+04:30', 'GMT+05:00', 'GMT+05:30', 'GMT+05:45', 'GMT+06:00', 'GMT+06:30', 'GMT+07:00', 'GMT+08:00',
  'GMT+09:00', 'GMT+09:30', 'GMT+10:00', 'GMT+11:00', 'GMT+12:00', 'GMT+13:00'];
const TIME_FORMATS = ['yyyy-mm-dd hh:mm:ss', 'yyyy/mm/dd hh:mm:ss', 'yy-mm-dd hh:mm:ss', 'yy/mm/dd hh:mm:ss',
  'hh:mm:ss dd/mm/yyyy', 'hh:mm:ss dd-mm-yyyy', 'hh:mm:ss mm/dd/yyyy', 'mm/dd/yyyy hh:mm:ss', 'mm-dd-yyyy hh:mm:ss'];

// ---- faults next to the field they name ------------------------------------

function clearFaults(scope) {
  $$('.field-fault', scope).forEach((e) => e.remove());
  $$('.invalid', scope).forEach((e) => e.classList.remove('invalid'));
  $$('.fault', scope).forEach((e) => { e.textContent = ''; });
}

/** Shows a fault's reason next to the field its first word names, else on the form. */
function showFault(scope, err, slot = 'form') {
  clearFaults(scope);
  const reason = err instanceof Fault ? err.reason : String(err.message || err);
  const name = reason.match(/^([a-z_0-9]+)(?::| error| range)/)?.[1];
  const field = name && scope.elements ? scope.elements[name] : null;
  if (field && field.nodeType === 1) {
    field.classList.add('invalid');
    const note = document.createElement('span');
    note.className = 'field-fault';
    note.textContent = reason;
    (field.closest('label') || field).after(note);
    return;
  }
  const box = $(`.fault[data-for="${slot}"]`, scope) || $(`.fault[data-for="${slot}"]`);
  if (box) box.textContent = reason;
}

/** Runs a set and shows its fault, if any; true when the camera took it. */
async function apply(scope, action, slot) {
  try {
    await action();
    clearFaults(scope);
    return true;
  } catch (err) {
    showFault(scope, err, slot);
    return false;
  }
}

// ---- forms ------------------------------------------------------------------

function fill(form, values) {
  for (const [name, value] of Object.entries(values)) {
    const field = form.elements[name];
    if (!field || field.nodeType !== 1) continue;
    if (field.type === 'checkbox') field.checked = value === '1';
    else field.value = value;
    const out = field.nextElementSibling;
    if (out && out.tagName === 'OUTPUT') out.value = field.value;
  }
}

function value(field) {
  return field.type === 'checkbox' ? (field.checked ? '1' : '0') : field.value;
}

function values(form, names) {
  return Object.fromEntries(names.map((n) => [n, value(form.elements[n])]));
}

function options(select, list, keep) {
  const previous = keep ?? select.value;
  select.replaceChildren(...list.map((v) => new Option(v, v)));
  if (list.includes(previous)) select.value = previous;
}

function showOutputs(form) {
  form.addEventListener('input', (e) => {
    const out = e.target.nextElementSibling;
    if (out && out.tagName === 'OUTPUT') out.value = e.target.value;
  });
}

// ---- screens ----------------------------------------------------------------

const screens = {};
let current = null;

function show(name) {
  if (!uid()) name = 'login';
  if ((name === 'users' || name === 'integration') && $('#users-tab').hidden) name = 'live';
  if (!$(`#${name}`) || !screens[name]) name = uid() ? 'live' : 'login';
  $$('.screen').forEach((s) => { s.hidden = s.id !== name; });
  $$('#tabs a').forEach((a) => a.classList.toggle('current', a.getAttribute('href') === `#${name}`));
  $('#tabs').hidden = name === 'login';
  $('#logout').hidden = name === 'login';
  $('#who').textContent = name === 'login' ? '' : user();
  current = name;
  screens[name].open?.();
}

function route() { show(location.hash.slice(1) || 'live'); }

// Live pictures: one snapshot a second, the next asked for once the last is in.
function liveLoop(img, screen) {
  let timer = null;
  const next = () => {
    if (current !== screen || !uid()) { timer = null; return; }
    const started = Date.now();
    const done = () => { timer = setTimeout(next, Math.max(0, 1000 - (Date.now() - started))); };
    img.onload = done;
    img.onerror = done;
    img.src = url('/cgi-bin/snapshot.cgi', { stream: 0, _: started });
  };
  return () => { if (!timer) next(); };
}

screens.login = {
  open() { $('#login-form').elements.username.focus(); },
};

$('#login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const form = e.target;
  if (await apply(form, () => login(form.elements.username.value, form.elements.password.value))) {
    form.reset();
    await started();
    location.hash = '#live';
    route();
  }
});

$('#logout').addEventListener('click', () => {
  forget();
  location.hash = '#login';
  route();
});

onSessionLost(() => {
  location.hash = '#login';
  route();
  $('.fault[data-for="form"]', $('#login-form')).textContent = 'The session ended: log in again.';
});

// -- live view and PTZ
screens.live = { open: liveLoop($('#live-img'), 'live') };

const ptz = (params) => apply($('#ptz'), () => cgi('/cgi-bin/ptz_ctrl', params), 'ptz');

function holdToMove(button, start) {
  let held = false;
  const release = () => {
    if (!held) return;
    held = false;
    button.classList.remove('active');
    ptz({ stop: 1 });
  };
  button.addEventListener('pointerdown', (e) => {
    e.preventDefault();
    button.setPointerCapture(e.pointerId);
    held = true;
    button.classList.add('active');
    ptz(start());
  });
  for (const ev of ['pointerup', 'pointercancel', 'lostpointercapture']) button.addEventListener(ev, release);
}

$$('[data-move]').forEach((b) => {
  const [x, y] = b.dataset.move.split(',');
  holdToMove(b, () => ({ move_x: x, move_y: y, speed: $('#ptz-speed').value }));
});
$$('[data-lens]').forEach((b) => {
  const [what, dir] = b.dataset.lens.split(',');
  holdToMove(b, () => ({ [what]: dir }));
});
$('[data-stop]').addEventListener('click', () => ptz({ stop: 1 }));
$('#presets').addEventListener('submit', (e) => {
  e.preventDefault();
  const action = e.submitter?.dataset.preset ?? 'call_preset';
  ptz({ [action]: e.target.elements.preset.value });
});

// -- image and OSD
const imageForm = $('#image-form');
showOutputs(imageForm);
const setImage = latest((name, v) => apply(imageForm, () => cgi('/cgi-bin/image', { [name]: v })));
imageForm.addEventListener('input', (e) => setImage(e.target.name, e.target.value));

const osdForm = $('#osd-form');
const OSD = ['enable', 'color', 'fontsize', 'title_pos_type', 'title_pos_x', 'title_pos_y', 'show_res_bit',
  'time_pos_type', 'time_pos_x', 'time_pos_y', 'show_week', 'time_format', 'title_utf8'];
options(osdForm.elements.time_format, TIME_FORMATS);

function place(span, type, x, y) {
  const [px, py] = type === '0' ? [Number(x) * 50, Number(y) * 50] : [Number(x), Number(y)];
  span.style.left = `${px}%`;
  span.style.top = `${py}%`;
  span.style.transform = `translate(-${px}%, -${py}%)`;
}

function preview() {
  const f = osdForm.elements;
  const box = $('.osd-preview');
  box.className = `osd-preview c${f.color.value} s${f.fontsize.value}${f.enable.checked ? '' : ' off'}`;
  $('#osd-title').textContent = f.title_utf8.value || ' ';
  const week = f.show_week.checked ? ' Mon' : '';
  $('#osd-time').textContent = f.time_format.value.replace('yyyy', '2025').replace('yy', '25').replace('mm', '06')
    .replace('dd', '30').replace('hh', '12').replace('mm', '34').replace('ss', '56') + week;
  for (const which of ['title', 'time']) {
    const type = f[`${which}_pos_type`].value;
    for (const axis of ['x', 'y']) f[`${which}_pos_${axis}`].max = type === '0' ? 2 : 100;
    place($(`#osd-${which}`), type, f[`${which}_pos_x`].value, f[`${which}_pos_y`].value);
  }
}
osdForm.addEventListener('input', preview);
osdForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const v = values(osdForm, OSD);
  v.time_format = v.time_format.replaceAll(' ', '_');
  apply(osdForm, () => cgi('/cgi-bin/osd', v));
});

screens.image = {
  async open() {
    try {
      fill(imageForm, attrs(await cgi('/cgi-bin/image')));
      fill(osdForm, attrs(await cgi('/cgi-bin/osd')));
      preview();
    } catch (err) { showFault(imageForm, err); }
  },
};

// -- video and audio, from the capability documents
let videoCaps = null;

function streamModes(stream) {
  return $$(`${stream} > encode_mode`, videoCaps).map((m) => ({
    name: m.getAttribute('name'),
    resolutions: $$('resolution', m).map((r) => ({
      name: r.getAttribute('name'),
      framerate: $('framerate_range', r).textContent.split('-').map(Number),
      bitrate: $('bitrate_range', r).textContent.split('-').map(Number),
    })),
  }));
}

function streamForm(form) {
  form.insertAdjacentHTML('beforeend', `
    <div class="row">
      <label>Codec <select name="encode_mode"></select></label>
      <label>Resolution <select name="resolution"></select></label>
    </div>
    <div class="row">
      <label>Frame rate <input type="number" name="framerate"></label>
      <label>Bit rate (kbit/s) <input type="number" name="bitrate"></label>
    </div>
    <div class="row">
      <label>GOP length <input type="number" name="govlength" min="1" max="400"></label>
      <label>Rate control <select name="bitrate_control"><option>CBR</option><option>VBR</option></select></label>
    </div>
    <p class="note range"></p>
    <p class="fault" data-for="form"></p>
    <button type="submit">Apply</button>`);
  const f = form.elements;
  const stream = form.dataset.stream;
  const clamp = (input) => {
    const v = Math.min(Number(input.max), Math.max(Number(input.min), Number(input.value) || Number(input.min)));
    input.value = v;
  };
  const limits = () => {
    const mode = streamModes(stream).find((m) => m.name === f.encode_mode.value);
    const res = mode?.resolutions.find((r) => r.name === f.resolution.value);
    if (!res) return;
    [f.framerate.min, f.framerate.max] = res.framerate;
    [f.bitrate.min, f.bitrate.max] = res.bitrate;
    clamp(f.framerate);
    clamp(f.bitrate);
    $('.range', form).textContent = `${res.framerate.join('-')} fps, ${res.bitrate.join('-')} kbit/s`;
  };
  const resolutions = () => {
    const mode = streamModes(stream).find((m) => m.name === f.encode_mode.value);
    options(f.resolution, mode ? mode.resolutions.map((r) => r.name) : []);
    limits();
  };
  f.encode_mode.addEventListener('change', resolutions);
  f.resolution.addEventListener('change', limits);
  f.framerate.addEventListener('change', () => clamp(f.framerate));
  f.bitrate.addEventListener('change', () => clamp(f.bitrate));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    apply(form, () => cgi(`/cgi-bin/videoencoder/${stream}`,
      values(form, ['encode_mode', 'resolution', 'framerate', 'bitrate', 'govlength', 'bitrate_control'])));
  });
  form.load = (settings) => {
    options(f.encode_mode, streamModes(stream).map((m) => m.name), settings.encode_mode);
    options(f.resolution, streamModes(stream).find((m) => m.name === settings.encode_mode)?.resolutions.map((r) => r.name) ?? [], settings.resolution);
    fill(form, settings);
    limits();
  };
}
$$('.stream-form').forEach(streamForm);

let audioCaps = null;
const audioForm = $('#audio-form');
showOutputs(audioForm);
function audioChoices(keep = {}) {
  const f = audioForm.elements;
  const types = $$('encode_type', audioCaps);
  options(f.encode_type, types.map((t) => t.getAttribute('name')), keep.encode_type);
  const type = types.find((t) => t.getAttribute('name') === f.encode_type.value);
  const rates = type ? $$('samplerate', type) : [];
  options(f.samplerate, rates.map((r) => r.getAttribute('name')), keep.samplerate);
  const rate = rates.find((r) => r.getAttribute('name') === f.samplerate.value);
  options(f.bitrate, rate ? $$('bitrate', rate).map((b) => b.textContent) : [], keep.bitrate);
}
audioForm.elements.encode_type.addEventListener('change', () => audioChoices());
audioForm.elements.samplerate.addEventListener('change', () => audioChoices({ encode_type: audioForm.elements.encode_type.value }));
audioForm.addEventListener('submit', (e) => {
  e.preventDefault();
  apply(audioForm, () => cgi('/cgi-bin/audioencoder',
    values(audioForm, ['enable', 'encode_type', 'samplerate', 'bitrate', 'input_volume', 'output_volume', 'amplify'])));
});

screens.video = {
  async open() {
    try {
      videoCaps = await cgi('/cgi-bin/videoencoder/getcapabilities');
      const settings = await cgi('/cgi-bin/videoencoder');
      for (const form of $$('.stream-form')) form.load(attrs($(form.dataset.stream, settings)));
      audioCaps = await cgi('/cgi-bin/audioencoder/getcapabilities');
      const audio = attrs(await cgi('/cgi-bin/audioencoder'));
      audioChoices(audio);
      fill(audioForm, audio);
    } catch (err) { showFault(audioForm, err); }
  },
};

// -- network and time
const netForm = $('#network-form');
const NET = ['dhcp', 'ipaddr', 'netmask', 'gateway', 'dns1', 'dns2', 'port'];
const dhcp = () => ['ipaddr', 'netmask', 'gateway', 'dns1', 'dns2'].forEach((n) => { netForm.elements[n].disabled = netForm.elements.dhcp.checked; });
netForm.elements.dhcp.addEventListener('change', dhcp);
netForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const v = values(netForm, NET);
  if (netForm.elements.dhcp.checked) ['ipaddr', 'netmask', 'gateway', 'dns1', 'dns2'].forEach((n) => delete v[n]);
  if (await apply(netForm, () => cgi('/cgi-bin/network', v)) && v.port !== location.port && v.port !== '80') {
    $('.fault[data-for="form"]', netForm).textContent = `Saved: the camera now answers on port ${v.port}.`;
  }
});

const timeForm = $('#time-form');
options(timeForm.elements.timezone, ZONES);
const method = () => {
  const ntp = timeForm.elements.update_method.value === 'NTP';
  $('.ntp-only', timeForm).hidden = !ntp;
  $('.manual-only', timeForm).hidden = ntp;
};
timeForm.elements.update_method.addEventListener('change', method);

function zoneMinutes(zone) {
  const m = zone.match(/GMT([+-])(\d\d):(\d\d)/);
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
}

function sendTime() {
  const f = timeForm.elements;
  const v = { timezone: f.timezone.value, update_method: f.update_method.value };
  if (v.update_method === 'NTP') {
    v.ntpaddr = f.ntpaddr.value;
    v.port = f.port.value;
  } else {
    const m = f.datetime.value.match(/^(\d+)-(\d+)-(\d+)T(\d+):(\d+)(?::(\d+))?/);
    if (!m) return showFault(timeForm, new Fault(400, '/cgi-bin/time', 'datetime: pick a date and a time'));
    [v.year, v.month, v.day, v.hour, v.min, v.sec] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  }
  return apply(timeForm, () => cgi('/cgi-bin/time', v)).then((ok) => ok && screens.network.open());
}
timeForm.addEventListener('submit', (e) => { e.preventDefault(); sendTime(); });
$('#use-computer-time').addEventListener('click', () => {
  // The computer's clock, as a wall time in the camera's zone.
  const t = new Date(Date.now() + zoneMinutes(timeForm.elements.timezone.value) * 60000);
  const p = (n) => String(n).padStart(2, '0');
  timeForm.elements.datetime.value = `${t.getUTCFullYear()}-${p(t.getUTCMonth() + 1)}-${p(t.getUTCDate())}T${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:${p(t.getUTCSeconds())}`;
  sendTime();
});

screens.network = {
  async open() {
    try {
      const net = attrs(await cgi('/cgi-bin/network'));
      fill(netForm, net);
      $('#macaddr').textContent = net.macaddr ?? '';
      dhcp();
      const time = attrs(await cgi('/cgi-bin/time'));
      fill(timeForm, time);
      $('#current-time').textContent = time.current_time ?? '';
      if (time.current_time) timeForm.elements.datetime.value = time.current_time.replace(' ', 'T');
      method();
    } catch (err) { showFault(netForm, err); }
  },
};

// -- motion detection
const motionForm = $('#motion-form');
showOutputs(motionForm);
const grid = $('#grid');
let area = { rows: 0, cols: 0, cells: [] };

function decodeArea(hex, rows, cols) {
  const cells = [];
  for (let i = 0; i < rows * cols; i += 1) {
    const byte = parseInt(hex.slice((i >> 3) * 2, (i >> 3) * 2 + 2), 16) || 0;
    cells.push(((byte >> (7 - (i % 8))) & 1) === 1);
  }
  return cells;
}

function encodeArea() {
  const bytes = new Array(Math.ceil(area.cells.length / 8)).fill(0);
  area.cells.forEach((on, i) => { if (on) bytes[i >> 3] |= 0x80 >> (i % 8); });
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

function drawGrid() {
  grid.style.gridTemplateColumns = `repeat(${area.cols}, 1fr)`;
  grid.style.gridTemplateRows = `repeat(${area.rows}, 1fr)`;
  grid.replaceChildren(...area.cells.map((on, i) => {
    const cell = document.createElement('div');
    cell.dataset.i = i;
    cell.classList.toggle('on', on);
    return cell;
  }));
}

let painting = null;
function paint(e) {
  const cell = document.elementFromPoint(e.clientX, e.clientY);
  if (!cell || cell.parentElement !== grid) return;
  const i = Number(cell.dataset.i);
  if (painting === null) painting = !area.cells[i];
  area.cells[i] = painting;
  cell.classList.toggle('on', painting);
}
grid.addEventListener('pointerdown', (e) => { e.preventDefault(); grid.setPointerCapture(e.pointerId); painting = null; paint(e); });
grid.addEventListener('pointermove', (e) => { if (painting !== null) paint(e); });
grid.addEventListener('pointerup', () => {
  if (painting === null) return;
  painting = null;
  apply(motionForm, () => cgi('/cgi-bin/motion', { areavalue: encodeArea() }));
});
motionForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const v = values(motionForm, ['enable', 'sensitivity', 'alarmthreshold', 'enable_nighttime', 'night_sensitivity', 'night_alarmthreshold']);
  apply(motionForm, () => cgi('/cgi-bin/motion', { ...v, areavalue: encodeArea() }));
});

const motionLive = liveLoop($('#motion-img'), 'motion');
screens.motion = {
  async open() {
    motionLive();
    try {
      const m = attrs(await cgi('/cgi-bin/motion'));
      fill(motionForm, m);
      const [rows, cols] = (m.blockcount ?? '0x0').split('x').map(Number);
      area = { rows, cols, cells: decodeArea(m.areavalue ?? '', rows, cols) };
      drawGrid();
    } catch (err) { showFault(motionForm, err); }
  },
};

// -- integration (Administrators): ONVIF's switches and the upload targets
const onvifForm = $('#onvif-form');
onvifForm.addEventListener('submit', (e) => {
  e.preventDefault();
  apply(onvifForm, () => cgi('/cgi-bin/onvif', values(onvifForm, ['enable', 'auth', 'discoverable', 'basic_auth'])));
});

const targetsForm = $('#targets-form');
const TARGETS = ['ftp_server', 'ftp_port', 'ftp_user', 'ftp_dir', 'smtp_server', 'smtp_port', 'smtp_user', 'email_from', 'email_to'];
targetsForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const v = values(targetsForm, TARGETS);
  // Passwords are never answered: one left empty stays as it is.
  for (const name of ['ftp_password', 'smtp_password']) {
    if (targetsForm.elements[name].value) v[name] = targetsForm.elements[name].value;
  }
  apply(targetsForm, () => cgi('/cgi-bin/upload_targets', v)).then((ok) => {
    if (ok) ['ftp_password', 'smtp_password'].forEach((n) => { targetsForm.elements[n].value = ''; });
  });
});
$$('[data-upload]', targetsForm).forEach((button) => button.addEventListener('click', async () => {
  const result = $('#upload-result');
  result.textContent = 'Sending a snapshot…';
  try {
    await cgi('/cgi-bin/snapshot.cgi', { stream: '1', upload: button.dataset.upload });
    result.textContent = `${button.textContent}: sent.`;
  } catch (err) {
    result.textContent = `${button.textContent}: ${err instanceof Fault ? err.reason : err.message || err}`;
  }
}));

// HTTPS: the plain HTTP switch, an administrator's certificate, a new self-signed one.
const httpsForm = $('#https-form');
function showHttps(state) {
  const served = state.enable === '1';
  $('#https-state').textContent = served
    ? `Served on port ${state.port} with ${state.generated === '1' ? "the camera's own self-signed" : 'an installed'} certificate, SHA-256 ${state.fingerprint}.`
    : 'Not served.';
  fill(httpsForm, state);
  for (const el of httpsForm.elements) el.disabled = !served;
}
httpsForm.addEventListener('submit', (e) => {
  e.preventDefault();
  apply(httpsForm, async () => showHttps(attrs(await cgi('/cgi-bin/https', values(httpsForm, ['plain_http'])))));
});
$('#https-regenerate').addEventListener('click', () => {
  if (!window.confirm('Make a new self-signed certificate? Clients that trust the current one will warn.')) return;
  apply(httpsForm, async () => showHttps(attrs(await cgi('/cgi-bin/https', { action: 'regenerate' }))));
});
$('#https-install').addEventListener('click', () => apply(httpsForm, async () => {
  const texts = await Promise.all(Array.from(httpsForm.elements.files.files, (f) => f.text()));
  const body = texts.join('\n') + httpsForm.elements.pem.value;
  let res;
  try {
    res = await fetch(url('/cgi-bin/https_certificate'), { method: 'POST', body, cache: 'no-store' });
  } catch {
    throw new Fault(0, '/cgi-bin/https_certificate', 'the camera does not answer');
  }
  showHttps(attrs(read(res.status, await res.text(), '/cgi-bin/https_certificate')));
  httpsForm.elements.pem.value = '';
  httpsForm.elements.files.value = '';
}));

screens.integration = {
  async open() {
    try {
      showHttps(attrs(await cgi('/cgi-bin/https')));
      fill(onvifForm, attrs(await cgi('/cgi-bin/onvif')));
      fill(targetsForm, attrs(await cgi('/cgi-bin/upload_targets')));
    } catch (err) { showFault(targetsForm, err); }
  },
};

// -- users (Administrators)
const userForm = $('#user-form');
async function listUsers() {
  const root = await cgi('/cgi-bin/user_management', { action: 'get_user' });
  $('#user-rows').replaceChildren(...$$('user', root).map((u) => {
    const row = document.createElement('tr');
    const a = attrs(u);
    for (const text of [a.name, a.privilege, a.enable]) row.insertCell().textContent = text;
    const edit = document.createElement('button');
    edit.className = 'quiet';
    edit.textContent = 'Edit';
    edit.addEventListener('click', () => fill(userForm, { name: a.name, newpasswd: '', privilege: a.privilege, enable: a.enable }));
    const del = document.createElement('button');
    del.className = 'quiet';
    del.textContent = 'Delete';
    del.addEventListener('click', () => confirmThen(`Delete the user ${a.name}?`, async () => {
      if (await apply(userForm, () => cgi('/cgi-bin/user_management', { action: 'delete', name: a.name }))) listUsers();
    }));
    row.insertCell().append(edit, del);
    return row;
  }));
}
userForm.addEventListener('submit', async (e) => {
  e.preventDefault();
  const action = e.submitter?.dataset.action ?? 'add';
  const v = { action, ...values(userForm, ['name', 'newpasswd', 'privilege', 'enable']) };
  if (!v.newpasswd) delete v.newpasswd;
  if (await apply(userForm, () => cgi('/cgi-bin/user_management', v))) {
    userForm.elements.newpasswd.value = '';
    listUsers();
  }
});
screens.users = { open: () => listUsers().catch((err) => showFault(userForm, err)) };

// -- system: information, firmware, reboot, factory reset
function confirmThen(text, action) {
  const dialog = $('#confirm');
  $('#confirm-text').textContent = text;
  dialog.onclose = () => { if (dialog.returnValue === 'ok') action(); };
  dialog.showModal();
}

const fwForm = $('#firmware-form');
const progress = $('#fw-progress');
const result = $('#fw-result');

function pollStatus() {
  const timer = setInterval(async () => {
    try {
      const s = attrs(await cgi('/cgi-bin/upgrade_status'));
      if (s.state === 'receiving' || s.state === 'verifying') {
        progress.value = Number(s.percent);
        result.textContent = `${s.state === 'receiving' ? 'Writing' : 'Verifying'}: ${s.percent}%`;
      }
      if (s.state === 'done' || s.state === 'failed' || s.state === 'idle') clearInterval(timer);
    } catch { clearInterval(timer); }
  }, 500);
  return timer;
}

fwForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const file = fwForm.elements.image.files[0];
  if (!file) return;
  clearFaults(fwForm);
  progress.value = 0;
  result.textContent = 'Sending…';
  const xhr = new XMLHttpRequest();
  xhr.open('POST', url('/cgi-bin/OnvifFirmwareUpgrade'));
  xhr.setRequestHeader('Content-Type', 'application/octet-stream');
  xhr.upload.onprogress = (ev) => {
    if (!ev.lengthComputable) return;
    const pct = Math.floor((ev.loaded / ev.total) * 100);
    progress.value = pct;
    result.textContent = `Sending: ${pct}%`;
  };
  const poll = pollStatus();
  xhr.onload = () => {
    clearInterval(poll);
    try {
      read(xhr.status, xhr.responseText, '/cgi-bin/OnvifFirmwareUpgrade');
      progress.value = 100;
      result.textContent = 'Upgrade done: 100%. The camera restarts with the new firmware.';
      result.className = 'note success';
    } catch (err) {
      result.textContent = 'The upgrade was refused; the camera keeps its firmware.';
      showFault(fwForm, err);
    }
  };
  xhr.onerror = () => {
    clearInterval(poll);
    result.textContent = '';
    showFault(fwForm, new Fault(0, '', 'the camera does not answer'));
  };
  xhr.send(file);
});

$('#reboot').addEventListener('click', () => confirmThen('Reboot the camera now?', () =>
  apply($('#system'), () => cgi('/cgi-bin/reboot'), 'system').then((ok) => ok && ($('.fault[data-for="system"]').textContent = 'Rebooting…'))));
$('#factory-reset').addEventListener('click', () => confirmThen('Restore every setting and the default accounts?', () =>
  apply($('#system'), () => cgi('/cgi-bin/factory_reset', $('#retain-network').checked ? { retain_network: 1 } : {}), 'system')
    .then((ok) => ok && ($('.fault[data-for="system"]').textContent = 'Restored: log in again with the default account.'))));

screens.system = {
  async open() {
    try {
      const info = attrs(await cgi('/cgi-bin/getinfo'));
      const caps = attrs(await cgi('/cgi-bin/getcapabilities'));
      const rows = [['Model', $('#model').textContent], ['Serial number', info.sn], ['Firmware', info.filesystem],
        ['Kernel', info.kernel], ['PTZ', caps.ptz === '1' ? 'yes' : 'no'], ['Audio', caps.audio === '1' ? 'yes' : 'no']];
      $('#info').replaceChildren(...rows.flatMap(([k, v]) => {
        const dt = document.createElement('dt');
        dt.textContent = k;
        const dd = document.createElement('dd');
        dd.textContent = v ?? '';
        return [dt, dd];
      }));
    } catch (err) { showFault(fwForm, err); }
  },
};

// ---- start --------------------------------------------------------------------

/** What the page learns once logged in: the model, PTZ, and whether users can be managed. */
async function started() {
  try {
    const model = await cgi('/cgi-bin/getmodel');
    $('#model').textContent = model.textContent.trim() || 'Camera';
    document.title = $('#model').textContent;
  } catch { /* the model is a nicety */ }
  try {
    const caps = attrs(await cgi('/cgi-bin/getcapabilities'));
    $('#ptz').hidden = caps.ptz !== '1';
  } catch { /* keep the pad */ }
  try {
    await cgi('/cgi-bin/user_management', { action: 'get_user' });
    $('#users-tab').hidden = false;
    $('#integration-tab').hidden = false;
  } catch {
    $('#users-tab').hidden = true;
    $('#integration-tab').hidden = true;
  }
}

heartbeat();
window.addEventListener('hashchange', route);
if (uid()) started().then(route); else route();
