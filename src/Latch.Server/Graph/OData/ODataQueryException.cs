namespace Latch.Server.Graph.OData;

/// <summary>A query option the caller got wrong; the message names the problem and is meant for the caller (a 400 Graph error).</summary>
public sealed class ODataQueryException(string message) : Exception(message);
