//! ONVIF media profile editing (Media 1 and Media 2) and Media 2's audio:
//! profiles created, filled, emptied and deleted, the fixed two kept, every
//! refusal by its fault, kept across a restart and undone by a factory reset.

use crate::common::*;
use std::sync::Arc;

const BASIC_ADMIN: &str = "Authorization: Basic YWRtaW46MTIzNDU2\r\n";
const MEDIA: &str = "/onvif/media_service";
const MEDIA2: &str = "/onvif/media2_service";
const TRT: &str = "http://www.onvif.org/ver10/media/wsdl";
const TR2: &str = "http://www.onvif.org/ver20/media/wsdl";

fn media(cam: &Cam, body: &str) -> Resp {
    soap(cam.port(), MEDIA, body, BASIC_ADMIN)
}

fn media2(cam: &Cam, body: &str) -> Resp {
    soap(cam.port(), MEDIA2, body, BASIC_ADMIN)
}

fn ok(r: Resp) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

/// `<trt:Op><trt:ProfileToken>…</trt:ProfileToken>…</trt:Op>`.
fn op(name: &str, profile: &str, rest: &str) -> String {
    format!("<{name} xmlns=\"{TRT}\"><ProfileToken>{profile}</ProfileToken>{rest}</{name}>")
}

/// The text between the first `start` and the `end` after it.
fn all_between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).map(|i| i + start.len()).unwrap_or_else(|| panic!("{start}: {text}"));
    text[from..].split(end).next().unwrap_or_default().to_string()
}

fn tokens(text: &str, element: &str) -> Vec<String> {
    text.split(&format!("<{element} token=\"")).skip(1).filter_map(|t| t.split('"').next()).map(str::to_string).collect()
}

fn stream_uri(cam: &Cam, profile: &str) -> Resp {
    media(
        cam,
        &op(
            "GetStreamUri",
            profile,
            "<StreamSetup><Stream xmlns=\"http://www.onvif.org/ver10/schema\">RTP-Unicast</Stream>\
             <Transport xmlns=\"http://www.onvif.org/ver10/schema\"><Protocol>RTSP</Protocol></Transport></StreamSetup>",
        ),
    )
}

#[test]
fn media1_profiles_are_created_filled_emptied_and_deleted_and_the_fixed_ones_stay() {
    let dir = Arc::new(TempDir::new());
    let cam = Cam::start_in(dir.clone());
    let created = ok(media(&cam, &format!("<CreateProfile xmlns=\"{TRT}\"><Name>Garage door</Name><Token>garage</Token></CreateProfile>")));
    assert!(
        created.contains(
            "<trt:CreateProfileResponse><trt:Profile token=\"garage\" fixed=\"false\"><tt:Name>Garage door</tt:Name></trt:Profile>"
        ),
        "{created}"
    );
    assert_soap_fault(&stream_uri(&cam, "garage"), 500, "ter:IncompleteConfiguration", "the profile has no video encoder configuration");
    for (kind, token) in [("VideoSource", "video_src_config"), ("VideoEncoder", "video_encoder_2"), ("AudioEncoder", "audio_encoder")] {
        let body = op(&format!("Add{kind}Configuration"), "garage", &format!("<ConfigurationToken>{token}</ConfigurationToken>"));
        assert!(ok(media(&cam, &body)).contains(&format!("<trt:Add{kind}ConfigurationResponse/>")));
    }
    let profile = ok(media(&cam, &op("GetProfile", "garage", "")));
    assert!(
        profile.contains("<tt:VideoEncoderConfiguration token=\"video_encoder_2\"><tt:Name>H264</tt:Name><tt:UseCount>2</tt:UseCount>"),
        "{profile}"
    );
    assert!(profile.contains("<tt:AudioEncoderConfiguration token=\"audio_encoder\">"), "{profile}");
    assert!(!profile.contains("PTZConfiguration"), "no PTZ configuration was added: {profile}");
    // It streams the sub stream, as profile_2 does.
    let uri = |profile: &str| all_between(&ok(stream_uri(&cam, profile)), "<tt:Uri>", "</tt:Uri>");
    assert_eq!(uri("garage"), uri("profile_2"));
    let listed = ok(media(&cam, &format!("<GetProfiles xmlns=\"{TRT}\"/>")));
    assert_eq!(tokens(&listed, "trt:Profiles"), ["profile_1", "profile_2", "garage"]);
    // Refusals change nothing.
    let refusals = [
        (
            op("AddVideoEncoderConfiguration", "garage", "<ConfigurationToken>video_encoder_9</ConfigurationToken>"),
            400,
            "ter:NoConfig",
            "no such configuration",
        ),
        (
            op("AddVideoSourceConfiguration", "nowhere", "<ConfigurationToken>video_src_config</ConfigurationToken>"),
            400,
            "ter:NoProfile",
            "no such profile or configuration",
        ),
        (
            format!("<CreateProfile xmlns=\"{TRT}\"><Name>Again</Name><Token>garage</Token></CreateProfile>"),
            400,
            "ter:ProfileExists",
            "a profile has this token",
        ),
        (
            format!("<CreateProfile xmlns=\"{TRT}\"><Name></Name></CreateProfile>"),
            400,
            "ter:InvalidArgVal",
            "Name: 1 to 64 printable characters",
        ),
        (op("DeleteProfile", "profile_1", ""), 500, "ter:DeletionOfFixedProfile", "a fixed profile cannot be deleted"),
        (op("DeleteProfile", "nowhere", ""), 400, "ter:NoProfile", "no such profile or configuration"),
    ];
    for (body, status, code, reason) in &refusals {
        assert_soap_fault(&media(&cam, body), *status, code, reason);
    }
    assert_eq!(ok(media(&cam, &format!("<GetProfiles xmlns=\"{TRT}\"/>"))), listed, "refusals change nothing");
    // Eight at most.
    for n in 0..5 {
        ok(media(&cam, &format!("<CreateProfile xmlns=\"{TRT}\"><Name>extra {n}</Name></CreateProfile>")));
    }
    assert_soap_fault(
        &media(&cam, &format!("<CreateProfile xmlns=\"{TRT}\"><Name>ninth</Name></CreateProfile>")),
        500,
        "ter:MaxNVTProfiles",
        "at most 8 profiles",
    );
    let removed = ok(media(&cam, &op("RemoveVideoEncoderConfiguration", "garage", "")));
    assert!(removed.contains("<trt:RemoveVideoEncoderConfigurationResponse/>"), "{removed}");
    assert!(!ok(media(&cam, &op("GetProfile", "garage", ""))).contains("VideoEncoderConfiguration"));
    // Kept across a restart.
    drop(cam);
    let cam = Cam::start_in(dir);
    let kept = ok(media(&cam, &op("GetProfile", "garage", "")));
    assert!(
        kept.contains("<tt:Name>Garage door</tt:Name><tt:VideoSourceConfiguration") && !kept.contains("VideoEncoderConfiguration"),
        "{kept}"
    );
    assert!(ok(media(&cam, &op("DeleteProfile", "garage", ""))).contains("<trt:DeleteProfileResponse/>"));
    assert_soap_fault(&media(&cam, &op("GetProfile", "garage", "")), 400, "ter:NoProfile", "no such profile or configuration");
    // A factory reset brings back the two fixed profiles alone.
    let uid = cam.admin();
    assert_ok(cam.get(&format!("/cgi-bin/factory_reset?uid={uid}")), "factory_reset");
    cam.eventually("the factory profiles", || {
        tokens(&media(&cam, &format!("<GetProfiles xmlns=\"{TRT}\"/>")).text(), "trt:Profiles") == ["profile_1", "profile_2"]
    });
}

#[test]
fn media2_profiles_take_configurations_by_type_and_audio_is_named_by_its_rtp_name() {
    let cam = Cam::start();
    let created = ok(media2(
        &cam,
        &format!(
            "<CreateProfile xmlns=\"{TR2}\"><Name>Yard</Name><Configuration><Type>VideoSource</Type></Configuration>\
             <Configuration><Type>VideoEncoder</Type><Token>video_encoder_1</Token></Configuration></CreateProfile>"
        ),
    ));
    assert!(created.contains("<tr2:CreateProfileResponse><tr2:Token>profile_3</tr2:Token></tr2:CreateProfileResponse>"), "{created}");
    let add = format!(
        "<AddConfiguration xmlns=\"{TR2}\"><ProfileToken>profile_3</ProfileToken><Name>Back yard</Name>\
         <Configuration><Type>AudioSource</Type></Configuration><Configuration><Type>AudioEncoder</Type></Configuration></AddConfiguration>"
    );
    assert!(ok(media2(&cam, &add)).contains("<tr2:AddConfigurationResponse/>"));
    let profile = ok(media2(&cam, &format!("<GetProfiles xmlns=\"{TR2}\"><Token>profile_3</Token><Type>All</Type></GetProfiles>")));
    assert!(profile.contains("<tr2:Profiles token=\"profile_3\" fixed=\"false\"><tr2:Name>Back yard</tr2:Name>"), "{profile}");
    assert!(profile.contains("<tr2:VideoEncoder token=\"video_encoder_1\""), "{profile}");
    assert!(
        profile.contains(
            "<tr2:AudioEncoder token=\"audio_encoder\"><tt:Name>G.711</tt:Name><tt:UseCount>1</tt:UseCount><tt:Encoding>PCMU</tt:Encoding>"
        ),
        "{profile}"
    );
    assert_soap_fault(
        &media2(&cam, &format!("<AddConfiguration xmlns=\"{TR2}\"><ProfileToken>profile_3</ProfileToken><Configuration><Type>Sound</Type></Configuration></AddConfiguration>")),
        400,
        "ter:InvalidArgVal",
        "Type: VideoSource, VideoEncoder, AudioSource, AudioEncoder or PTZ",
    );
    let remove = format!(
        "<RemoveConfiguration xmlns=\"{TR2}\"><ProfileToken>profile_3</ProfileToken><Configuration><Type>AudioEncoder</Type></Configuration></RemoveConfiguration>"
    );
    assert!(ok(media2(&cam, &remove)).contains("<tr2:RemoveConfigurationResponse/>"));
    let profile = ok(media2(&cam, &format!("<GetProfiles xmlns=\"{TR2}\"><Token>profile_3</Token><Type>All</Type></GetProfiles>")));
    assert!(!profile.contains("AudioEncoder") && profile.contains("<tr2:AudioSource token=\"audio_src_config\">"), "{profile}");
    // Media 1 sees the same profile.
    assert!(ok(media(&cam, &op("GetProfile", "profile_3", ""))).contains("<tt:Name>Back yard</tt:Name>"));
    // Audio by Media 2's names, set through the audio family.
    let options = ok(media2(&cam, &format!("<GetAudioEncoderConfigurationOptions xmlns=\"{TR2}\"/>")));
    assert!(options.contains("<tt:Encoding>PCMU</tt:Encoding>") && options.contains("<tt:Encoding>MP4A-LATM</tt:Encoding>"), "{options}");
    let set = format!(
        "<SetAudioEncoderConfiguration xmlns=\"{TR2}\"><Configuration token=\"audio_encoder\"><Name xmlns=\"http://www.onvif.org/ver10/schema\">a</Name>\
         <UseCount xmlns=\"http://www.onvif.org/ver10/schema\">1</UseCount><Encoding xmlns=\"http://www.onvif.org/ver10/schema\">MP4A-LATM</Encoding>\
         <Bitrate xmlns=\"http://www.onvif.org/ver10/schema\">16</Bitrate><SampleRate xmlns=\"http://www.onvif.org/ver10/schema\">16</SampleRate>\
         </Configuration></SetAudioEncoderConfiguration>"
    );
    assert!(ok(media2(&cam, &set)).contains("<tr2:SetAudioEncoderConfigurationResponse/>"));
    let uid = cam.admin();
    assert_eq!(cam.get(&format!("/cgi-bin/audioencoder?uid={uid}")).attr("encode_type").as_deref(), Some("AAC"));
    let refused = set.replace("MP4A-LATM", "OPUS");
    assert_soap_fault(&media2(&cam, &refused), 400, "ter:ConfigModify", "Encoding: not offered");
    assert!(ok(media2(&cam, &format!("<DeleteProfile xmlns=\"{TR2}\"><Token>profile_3</Token></DeleteProfile>")))
        .contains("<tr2:DeleteProfileResponse/>"));
    assert_soap_fault(
        &media2(&cam, &format!("<DeleteProfile xmlns=\"{TR2}\"><Token>profile_2</Token></DeleteProfile>")),
        500,
        "ter:DeletionOfFixedProfile",
        "a fixed profile cannot be deleted",
    );
}

fn osd_body(token: &str, position: &str, text: &str) -> String {
    format!(
        "<OSD token=\"{token}\"><VideoSourceConfigurationToken {TT}>video_src_config</VideoSourceConfigurationToken>\
         <Type {TT}>Text</Type><Position {TT}>{position}</Position><TextString {TT}>{text}</TextString></OSD>"
    )
}

const TT: &str = "xmlns=\"http://www.onvif.org/ver10/schema\"";

#[test]
fn media2_osds_are_the_title_and_time_overlays_moved_changed_taken_away_and_shown_again() {
    let cam = Cam::start();
    let uid = cam.admin();
    let osd_cgi = || cam.get(&format!("/cgi-bin/osd?uid={uid}"));
    let osds = || ok(media2(&cam, &format!("<GetOSDs xmlns=\"{TR2}\"/>")));
    let both = osds();
    assert!(
        both.contains(
            "<tr2:OSDs token=\"osd_title\"><tt:VideoSourceConfigurationToken>video_src_config</tt:VideoSourceConfigurationToken>\
             <tt:Type>Text</tt:Type><tt:Position><tt:Type>Custom</tt:Type><tt:Pos x=\"-0.98\" y=\"1\"/></tt:Position><tt:TextString>\
             <tt:Type>Plain</tt:Type><tt:FontSize>24</tt:FontSize><tt:PlainText>IPCamera</tt:PlainText></tt:TextString></tr2:OSDs>"
        ),
        "{both}"
    );
    assert!(both.contains("<tr2:OSDs token=\"osd_time\">") && both.contains("<tt:DateFormat>yyyy-MM-dd</tt:DateFormat>"), "{both}");
    let set = |token: &str, position: &str, text: &str| {
        media2(&cam, &format!("<SetOSD xmlns=\"{TR2}\">{}</SetOSD>", osd_body(token, position, text)))
    };
    ok(set("osd_title", "<Type>UpperRight</Type>", "<Type>Plain</Type><FontSize>32</FontSize><PlainText>Gate</PlainText>"));
    ok(set("osd_time", "<Type>Custom</Type><Pos x=\"0\" y=\"0.5\"/>", "<Type>DateAndTime</Type><DateFormat>MM/dd/yyyy</DateFormat>"));
    let c = osd_cgi();
    for (name, value) in [
        ("title_pos_type", "0"),
        ("title_pos_x", "2"),
        ("title_pos_y", "0"),
        ("title_utf8", "Gate"),
        ("fontsize", "2"),
        ("time_pos_type", "1"),
        ("time_pos_x", "50"),
        ("time_pos_y", "25"),
        ("time_format", "mm/dd/yyyy hh:mm:ss"),
    ] {
        assert_eq!(c.attr(name).as_deref(), Some(value), "{name}: {}", c.text());
    }
    // Refusals change nothing.
    let before = osd_cgi().text();
    let refusals = [
        (set("osd_title", "<Type>Custom</Type><Pos x=\"2\" y=\"0\"/>", ""), "ter:InvalidArgVal", "Pos: x and y from -1 to 1"),
        (
            set("osd_title", "<Type>Middle</Type>", ""),
            "ter:InvalidArgVal",
            "Position: UpperLeft, UpperRight, LowerLeft, LowerRight or Custom",
        ),
        (set("osd_time", "<Type>UpperLeft</Type>", "<Type>Plain</Type>"), "ter:InvalidArgVal", "TextString Type: DateAndTime for osd_time"),
        (
            set("osd_time", "<Type>UpperLeft</Type>", "<Type>DateAndTime</Type><TimeFormat>h:mm tt</TimeFormat>"),
            "ter:InvalidArgVal",
            "TimeFormat: HH:mm:ss",
        ),
        (
            set("osd_title", "<Type>UpperLeft</Type>", &format!("<Type>Plain</Type><PlainText>{}</PlainText>", "x".repeat(65))),
            "ter:InvalidArgVal",
            "title_utf8 error",
        ),
        (set("osd_logo", "<Type>UpperLeft</Type>", ""), "ter:NoConfig", "no such OSD"),
    ];
    for (r, code, reason) in &refusals {
        assert_soap_fault(r, 400, code, reason);
    }
    assert_eq!(osd_cgi().text(), before, "refusals change nothing");
    // Taken away: the other stays, and the board is told.
    assert!(ok(media2(&cam, &format!("<DeleteOSD xmlns=\"{TR2}\"><OSDToken>osd_time</OSDToken></DeleteOSD>")))
        .contains("<tr2:DeleteOSDResponse/>"));
    assert_eq!(tokens(&osds(), "tr2:OSDs"), ["osd_title"]);
    match cam.mock.calls().last() {
        Some(camcgi_hal::mock::Call::Osd(c)) => assert!(c.show_title && !c.show_time && c.enable, "{c:?}"),
        other => panic!("{other:?}"),
    }
    let create =
        |text: &str| media2(&cam, &format!("<CreateOSD xmlns=\"{TR2}\">{}</CreateOSD>", osd_body("new", "<Type>LowerLeft</Type>", text)));
    let created = ok(create("<Type>DateAndTime</Type>"));
    assert!(created.contains("<tr2:CreateOSDResponse><tr2:OSDToken>osd_time</tr2:OSDToken></tr2:CreateOSDResponse>"), "{created}");
    assert_soap_fault(&create("<Type>DateAndTime</Type>"), 500, "ter:MaxOSDs", "the camera shows one title and one time overlay");
    assert_soap_fault(&create("<Type>Date</Type>"), 400, "ter:InvalidArgVal", "TextString Type: Plain or DateAndTime");
    // With the OSD switched off by the CGI there is none; creating one shows it alone.
    assert_ok(cam.get(&format!("/cgi-bin/osd?enable=0&uid={uid}")), "osd");
    assert!(tokens(&osds(), "tr2:OSDs").is_empty());
    ok(create("<Type>Plain</Type><PlainText>Back</PlainText>"));
    assert_eq!(tokens(&osds(), "tr2:OSDs"), ["osd_title"]);
    assert_eq!(osd_cgi().attr("enable").as_deref(), Some("1"));
}

#[test]
fn the_video_source_configuration_takes_only_the_whole_picture_and_media2_counts_its_encoders() {
    let cam = Cam::start();
    let options = ok(media(&cam, &format!("<GetVideoSourceConfigurationOptions xmlns=\"{TRT}\"><ConfigurationToken>video_src_config</ConfigurationToken></GetVideoSourceConfigurationOptions>")));
    assert!(options.contains("<tt:WidthRange><tt:Min>1920</tt:Min><tt:Max>1920</tt:Max></tt:WidthRange>"), "{options}");
    let set = |bounds: &str| {
        format!(
            "<Configuration token=\"video_src_config\"><Name {TT}>VideoSource</Name><UseCount {TT}>2</UseCount>\
             <SourceToken {TT}>video_src</SourceToken><Bounds {TT} {bounds}/></Configuration>"
        )
    };
    let whole = set("x=\"0\" y=\"0\" width=\"1920\" height=\"1080\"");
    let part = set("x=\"0\" y=\"0\" width=\"640\" height=\"480\"");
    assert!(ok(media(
        &cam,
        &format!(
            "<SetVideoSourceConfiguration xmlns=\"{TRT}\">{whole}<ForcePersistence>true</ForcePersistence></SetVideoSourceConfiguration>"
        )
    ))
    .contains("<trt:SetVideoSourceConfigurationResponse/>"));
    for r in [
        media(&cam, &format!("<SetVideoSourceConfiguration xmlns=\"{TRT}\">{part}<ForcePersistence>true</ForcePersistence></SetVideoSourceConfiguration>")),
        media2(&cam, &format!("<SetVideoSourceConfiguration xmlns=\"{TR2}\">{part}</SetVideoSourceConfiguration>")),
    ] {
        assert_soap_fault(&r, 400, "ter:ConfigModify", "Bounds: the whole picture, 0 0 1920 1080");
    }
    let instances = ok(media2(&cam, &format!("<GetVideoEncoderInstances xmlns=\"{TR2}\"><ConfigurationToken>video_src_config</ConfigurationToken></GetVideoEncoderInstances>")));
    assert!(instances.contains("<tr2:Codec><tr2:Encoding>H264</tr2:Encoding><tr2:Number>2</tr2:Number></tr2:Codec>"), "{instances}");
    assert!(instances.contains("<tr2:Total>2</tr2:Total>"), "{instances}");
}
