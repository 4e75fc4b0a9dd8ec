namespace Latch.Devices.Apple;

// The three Apple device families the simulator plays; each answers commands as its real OS does.
public enum AppleDeviceKind
{
    IPhone,
    IPad,
    Mac,
}
