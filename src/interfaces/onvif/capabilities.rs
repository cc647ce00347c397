//! What each service says it can do: the `Capabilities` element that
//! `GetServiceCapabilities` answers and `GetServices` includes when asked.

/// The device service's.
pub const DEVICE: &str = "<tds:Capabilities>\
        <tds:Network IPFilter=\"false\" ZeroConfiguration=\"false\" IPVersion6=\"false\" DynDNS=\"false\" \
            NTP=\"1\" HostnameFromDHCP=\"false\"/>\
        <tds:Security UsernameToken=\"true\" HttpDigest=\"true\" DefaultAccessPolicy=\"false\" TLS1.2=\"false\"/>\
        <tds:System DiscoveryResolve=\"false\" DiscoveryBye=\"true\" RemoteDiscovery=\"false\" \
            SystemBackup=\"false\" SystemLogging=\"false\" FirmwareUpgrade=\"true\"/>\
        </tds:Capabilities>";

/// The media service's.
pub const MEDIA: &str = "<trt:Capabilities SnapshotUri=\"true\" Rotation=\"false\" VideoSourceMode=\"false\" OSD=\"false\">\
        <trt:ProfileCapabilities MaximumNumberOfProfiles=\"8\"/>\
        <trt:StreamingCapabilities RTPMulticast=\"false\" RTP_TCP=\"true\" RTP_RTSP_TCP=\"true\"/></trt:Capabilities>";

/// The Media 2 service's.
pub const MEDIA2: &str = "<tr2:Capabilities SnapshotUri=\"true\" Rotation=\"false\" VideoSourceMode=\"false\" OSD=\"true\" \
    TemporaryOSDText=\"false\" Mask=\"false\" SourceMask=\"false\">\
    <tr2:ProfileCapabilities MaximumNumberOfProfiles=\"8\" \
    ConfigurationsSupported=\"VideoSource VideoEncoder AudioSource AudioEncoder PTZ\"/>\
    <tr2:StreamingCapabilities RTSPStreaming=\"true\" RTPMulticast=\"false\" RTP_RTSP_TCP=\"true\" NonAggregateControl=\"false\" \
    AutoStartMulticast=\"false\"/></tr2:Capabilities>";

/// The ptz service's.
pub const PTZ: &str = "<tptz:Capabilities EFlip=\"false\" Reverse=\"false\" GetCompatibleConfigurations=\"false\" \
            MoveStatus=\"true\" StatusPosition=\"true\"/>";

/// The imaging service's.
pub const IMAGING: &str = "<timg:Capabilities ImageStabilization=\"false\"/>";

/// The events service's.
pub const EVENTS: &str = "<tev:Capabilities WSSubscriptionPolicySupport=\"false\" WSPullPointSupport=\"true\" \
            WSPausableSubscriptionManagerInterfaceSupport=\"false\" MaxNotificationProducers=\"32\" MaxPullPoints=\"32\" \
            PersistentNotificationStorage=\"false\"/>";
